from datetime import UTC, date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DateTimeLocalField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from blueprints.catalog.forms import QuantityField
from blueprints.security import MAX_ID
from models import BILLING_TYPES, Product
from services.provisioning import provisioning
from services.provisioning.provisioning_rules import ALIGNMENTS

CONFIG_FIELDS = ("name", "quantity", "billing_type", "end_date_alignment", "tenant_id", "partner_id", "notify_me",
                 "billing_start", "is_billable", "contract_id", "quote_id")


class SelectServiceForm(FlaskForm):
    """A service from the list, or (the "Start with" button of a service the customer lacks a prerequisite
    for) that prerequisite."""

    product_id = IntegerField(_l("Service"), validators=[Optional(),
                                                         NumberRange(1, MAX_ID, message=_l("Choose a service."))])
    prerequisite = IntegerField("", validators=[Optional(), NumberRange(1, MAX_ID, message=_l("Choose a service."))])
    submit = SubmitField(_l("Next"))

    def chosen_id(self) -> int | None:
        return self.prerequisite.data or self.product_id.data


class TermsForm(FlaskForm):
    accept = BooleanField(_l("I accept these terms and conditions on behalf of my company"),
                          validators=[DataRequired(message=_l("Accept the terms and conditions to continue."))])
    submit = SubmitField(_l("Accept"))


class ConfigureForm(FlaskForm):
    """Types only; what the service allows (quantity range, billing types, tenant format) is checked by
    services.provisioning.provisioning_rules.config_errors, the same check the import runs later."""

    name = StringField(_l("Subscription name"))
    quantity = QuantityField(_l("Quantity"), validators=[InputRequired(message=_l("Enter a quantity."))])
    billing_type = SelectField(_l("Billing type"))
    end_date_alignment = SelectField(_l("End-date alignment"),
                                     choices=[SelectChoice(k, v) for k, v in ALIGNMENTS.items()])
    tenant_id = StringField(_l("Microsoft tenant id"))
    partner_id = StringField(_l("Partner (MPN) id"))
    notify_me = BooleanField(_l("Notify me when it is provisioned"))
    billing_start = DateField(_l("Billing start date"), validators=[Optional()])
    is_billable = BooleanField(_l("Is billable"))
    contract_id = StringField(_l("Contract id"))
    quote_id = StringField(_l("Quote id"))
    submit = SubmitField(_l("Next"))

    def __init__(self, product: Product, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.billing_type.choices = [SelectChoice(code, _l(BILLING_TYPES.get(code, code)))
                                     for code in product.billing_types]

    @classmethod
    def from_config(cls, product: Product, config: dict[str, Any]) -> "ConfigureForm":
        data = {k: config.get(k) for k in CONFIG_FIELDS}
        data["billing_start"] = date.fromisoformat(config["billing_start"]) if config.get("billing_start") else None
        return cls(product, data=data)

    def config(self) -> dict[str, Any]:
        config = {name: getattr(self, name).data for name in CONFIG_FIELDS}
        for key in ("name", "tenant_id", "partner_id", "contract_id", "quote_id"):
            config[key] = (config[key] or "").strip()
        config["billing_start"] = config["billing_start"].isoformat() if config["billing_start"] else ""
        return config


class ScheduleForm(FlaskForm):
    """The run time as typed, in UTC or in the user's zone (`run_at_utc` converts it, DST included)."""

    run_at = DateTimeLocalField(_l("Provisioning date and time"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                tz=UTC, invalid_value_message=_l("Enter a date and time such as 2026-12-31T09:30."),
                                validators=[InputRequired(message=_l("Choose a date and time."))])
    run_at_zone = SelectField(_l("Time zone of the date and time"), default="utc")
    fold = SelectField(_l("This time happens twice that day"), default="", choices=[
        SelectChoice("", _l("Choose…")), SelectChoice("0", _l("First occurrence (daylight saving time)")),
        SelectChoice("1", _l("Second occurrence (standard time)"))])
    override = BooleanField(_l("Schedule anyway: I understand it fails at the scheduled time unless the failed "
                               "checks pass by then"))
    schedule = SubmitField(_l("Schedule provisioning"))
    now = SubmitField(_l("Provision now"))

    def __init__(self, *args, zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.run_at_zone.choices = [SelectChoice("utc", "UTC"),
                                    SelectChoice("local", _l("My time zone (%(zone)s)", zone=zone))]

    def run_at_utc(self) -> datetime | None:
        """The typed time as aware UTC; ProvisioningError for a local time skipped or repeated by DST."""
        if self.run_at.data is None or self.run_at_zone.data != "local":
            return self.run_at.data
        fold = int(self.fold.data) if self.fold.data in ("0", "1") else None
        return provisioning.local_to_utc(self.run_at.data, self.zone, fold)
