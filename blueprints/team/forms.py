"""The team's forms: the invitation (staff send the same one, admin/resellers.py) and a user's role."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from models import TeamRole

TEAM_ROLE_LABELS = {
    TeamRole.ADMIN.value: _l("Administrator"),
    TeamRole.BUYER.value: _l("Buyer"),
    TeamRole.VIEWER.value: _l("Viewer"),
}
TEAM_ROLE_HINTS = {
    TeamRole.ADMIN.value: _l("everything a buyer does, and manages the team"),
    TeamRole.BUYER.value: _l("orders, license assignments, customers and provisioning"),
    TeamRole.VIEWER.value: _l("sees everything, changes nothing"),
}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def team_role_choices() -> list[SelectChoice]:
    return [SelectChoice(value, f"{label} · {TEAM_ROLE_HINTS[value]}") for value, label in TEAM_ROLE_LABELS.items()]


class InviteUserForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[InputRequired(), Length(max=254)], filters=[_strip])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)], filters=[_strip])
    # Staff mostly invite a reseller's first admin; the Team page passes team_role="buyer".
    team_role = SelectField(_l("Role"), validators=[DataRequired()], default=TeamRole.ADMIN.value)
    submit = SubmitField(_l("Send invitation"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.team_role.choices = team_role_choices()


class TeamRoleForm(FlaskForm):
    team_role = SelectField(_l("Role"), validators=[DataRequired()])
    submit = SubmitField(_l("Change role"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.team_role.choices = [SelectChoice(value, label) for value, label in TEAM_ROLE_LABELS.items()]


class ContactEmailForm(FlaskForm):
    """The reseller's own contact address: the Reply-To of its customers' activation e-mails (checked by
    services.accounts.resellers like every address)."""
    contact_email = StringField(_l("Contact e-mail for your customers"), validators=[Optional(), Length(max=254)],
                                filters=[_strip])
    submit = SubmitField(_l("Save the contact e-mail"))
