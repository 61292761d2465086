from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from blueprints.choices import country_choices, currency_choices
from blueprints.formatting import status_label
from blueprints.team.forms import InviteUserForm  # noqa: F401 (staff and a reseller's admins send one invitation)
from models import EmailStatus


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class ResellerForm(FlaskForm):
    name = StringField(_l("Legal name"), validators=[InputRequired(), Length(max=255)], filters=[_strip])
    tax_id = StringField(_l("Tax id"), validators=[InputRequired(), Length(max=40)], filters=[_strip])
    country = SelectField(_l("Country"), validators=[DataRequired()])
    currency = SelectField(_l("Currency"), validators=[DataRequired()])
    # The Reply-To of its customers' activation e-mails (services.accounts.resellers checks the address).
    contact_email = StringField(_l("Contact e-mail for its customers"), validators=[Optional(), Length(max=254)],
                                filters=[_strip])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()
        self.currency.choices = currency_choices()


class FilterForm(FlaskForm):
    """A GET form over the query string: no CSRF token (it changes nothing)."""

    class Meta:
        csrf = False


class OutboxFilterForm(FilterForm):
    status = SelectField(_l("Status"), validators=[Optional()], validate_choice=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice("", _l("All"))] + [SelectChoice(s.value, status_label(s.value))
                                                               for s in EmailStatus]


class AuditFilterForm(FilterForm):
    actor = StringField(_l("Actor e-mail"), validators=[Optional(), Length(max=254)], filters=[_strip])
    object_type = StringField(_l("Object type"), validators=[Optional(), Length(max=40)], filters=[_strip])
    object_id = StringField(_l("Object id"), validators=[Optional(), Length(max=40)], filters=[_strip])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date must not be before the start date."))
