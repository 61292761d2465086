"""The forms of a subscription's actions: each carries the version it was shown and a once-only token."""
from datetime import UTC

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, IntegerField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from blueprints.catalog.forms import QuantityField
from blueprints.security import MAX_ID
from models import BILLING_TYPES
from models.orders import new_token

KEEP_OR_CANCEL = [SelectChoice("keep", _l("Keep them: they run at their time, checked again then")),
                  SelectChoice("cancel", _l("Cancel them"))]


class ChangeForm(FlaskForm):
    """Confirm a cancellation or a seat change asked for now."""

    version = IntegerField("", validators=[InputRequired(), NumberRange(0, MAX_ID)])
    token = HiddenField("", default=new_token)  # a double submit finds the first change (services.subscriptions)
    quantity = QuantityField(_l("New quantity"), validators=[Optional(), NumberRange(0, MAX_ID)])
    scheduled = RadioField(_l("Scheduled changes of this subscription"), choices=KEEP_OR_CANCEL,
                           validators=[Optional()])


class AutoRenewForm(FlaskForm):
    version = IntegerField("", validators=[InputRequired(), NumberRange(0, MAX_ID)])
    on = HiddenField("")


CHANGES = [SelectChoice("quantity", _l("Change the quantity")),
           SelectChoice("billing_type", _l("Change the billing type")),
           SelectChoice("cancel", _l("Cancel at term end (turn auto-renew off)"))]
WHEN = [SelectChoice("renewal", _l("At the renewal")), SelectChoice("at", _l("At a date and time (UTC)"))]


class ScheduleChangeForm(FlaskForm):
    change = SelectField(_l("Change"), choices=CHANGES, default="quantity")
    quantity = QuantityField(_l("New quantity"), validators=[Optional(), NumberRange(0, MAX_ID)])
    billing_type = SelectField(_l("New billing type"), validators=[Optional()])
    when = RadioField(_l("When"), choices=WHEN, default="renewal")
    run_at = DateTimeLocalField(_l("Date and time (UTC)"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"], tz=UTC,
                                invalid_value_message=_l("Enter a date and time such as 2026-12-31T09:30."),
                                validators=[Optional()])
    token = HiddenField("", default=new_token)
    confirm = HiddenField("")

    def __init__(self, *args, billing_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.billing_type.choices = [SelectChoice(code, _l(BILLING_TYPES.get(code, code))) for code in billing_types]
