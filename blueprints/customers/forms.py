from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from blueprints.choices import CodeSelectField, country_choices, currency_choices

GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
LANGUAGES = [SelectChoice("es", "Español"), SelectChoice("en", "English"), SelectChoice("pt", "Português")]


class CustomerForm(FlaskForm):
    code = StringField(_l("Code (internal)"), validators=[DataRequired(), Length(max=60)])
    name = StringField(_l("Name (legal name)"), validators=[DataRequired(), Length(max=255)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    domain = StringField(_l("Domain"), validators=[Optional(), Length(max=255), Regexp(
        r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$",
        message=_l("Enter a domain such as example.com."))])
    tax_id = StringField(_l("Tax id"), validators=[Optional(), Length(max=40)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=255)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=120)])
    zip_code = StringField(_l("Zip code"), validators=[Optional(), Length(max=20)])
    country = CodeSelectField(_l("Country"), validators=[Optional()])
    language = SelectField(_l("Language"), choices=LANGUAGES)
    currency = CodeSelectField(_l("Currency"), validators=[Optional()])
    billing_start = DateField(_l("Billing start"), validators=[Optional()])
    tenant_id = StringField(_l("Microsoft tenant id"), validators=[Optional(), Regexp(
        GUID, message=_l("Enter the tenant id as a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."))])
    submit = SubmitField(_l("Save customer"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices(blank=_l("No country"))
        self.currency.choices = [SelectChoice("", _l("The reseller's currency")), *currency_choices()]

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items()
                if name not in ("submit", "csrf_token")}
