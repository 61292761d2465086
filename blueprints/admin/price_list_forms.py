"""Forms of a reseller's price list (blueprints/admin/price_lists.py): a discount, a product's own price."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _starts_on() -> DateField:
    return DateField(_l("Effective from"), validators=[InputRequired(message=_l("Enter the first day it applies."))])


def _ends_on() -> DateField:
    return DateField(_l("Last day (optional)"), validators=[Optional()])


class DiscountForm(FlaskForm):
    percent = DecimalField(_l("Discount (%)"), places=2, validators=[InputRequired()])
    starts_on = _starts_on()
    ends_on = _ends_on()
    submit = SubmitField(_l("Add the discount"))


class OverrideForm(FlaskForm):
    sku = StringField(_l("Product SKU"), validators=[InputRequired(), Length(max=60)], filters=[_strip])
    price = DecimalField(_l("This reseller's price"), places=2, validators=[InputRequired()])
    starts_on = _starts_on()
    ends_on = _ends_on()
    submit = SubmitField(_l("Add the price"))
