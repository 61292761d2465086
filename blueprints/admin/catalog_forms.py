"""Forms of the catalog admin: vendors and categories, products."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from blueprints.admin.forms import FilterForm, currency_choices
from models import BILLING_TYPES, Category, PriceUnit, Product, ProductKind, Vendor
from services.numbers import optional_id

KIND_LABELS = {ProductKind.LICENSE: _l("License (ESD)"), ProductKind.SUBSCRIPTION: _l("Cloud subscription")}
UNIT_LABELS = {PriceUnit.UNIT: _l("Unit"), PriceUnit.USER: _l("User"), PriceUnit.DEVICE: _l("Device")}


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class GroupForm(FlaskForm):
    """A vendor (brand) or a category: both are a name and the slug in the catalog's URLs."""

    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=120)], filters=[_strip])
    slug = StringField(_l("URL slug (optional: made from the name)"), filters=[_strip], validators=[
        Optional(), Length(max=120), Regexp(r"^[a-z0-9-]+$", message=_l("Use lowercase letters, digits and dashes."))])
    submit = SubmitField(_l("Save"))


class ProductForm(FlaskForm):
    sku = StringField(_l("SKU"), validators=[InputRequired(), Length(max=60)], filters=[_strip])
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=255)], filters=[_strip])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    vendor_id = SelectField(_l("Vendor"), coerce=int, validators=[DataRequired()])
    category_id = SelectField(_l("Category"), coerce=int, validators=[DataRequired()])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()])
    price = DecimalField(_l("Reseller price"), places=2, validators=[InputRequired(), NumberRange(min=0)])
    msrp = DecimalField(_l("Suggested selling price (MSRP)"), places=2,
                        validators=[InputRequired(), NumberRange(min=0)])
    cost = DecimalField(_l("Distributor cost (staff only)"), places=2,
                        validators=[InputRequired(), NumberRange(min=0)])
    unit = SelectField(_l("Priced per"), choices=[SelectChoice(u.value, label) for u, label in UNIT_LABELS.items()])
    currency = SelectField(_l("Currency"), validators=[DataRequired()])
    billing_types = SelectMultipleField(
        _l("Billing types"), choices=[SelectChoice(code, _l(label)) for code, label in BILLING_TYPES.items()],
        validators=[DataRequired(message=_l("Choose at least one billing type."))])
    terms_text = TextAreaField(_l("Terms and conditions (a change makes resellers accept again)"),
                               validators=[Optional(), Length(max=20000)])
    once_per_account = BooleanField(_l("Once per account"))
    prerequisite_id = SelectField(_l("Prerequisite service"), coerce=optional_id, validators=[Optional()])
    tags = StringField(_l("Tags (comma-separated)"), validators=[Optional(), Length(max=255)], filters=[_strip])
    max_quantity = IntegerField(_l("Maximum quantity"), validators=[InputRequired(), NumberRange(min=1, max=1_000_000)])
    active = BooleanField(_l("Active (visible to resellers)"), default=True)
    submit = SubmitField(_l("Save"))

    def set_choices(self, vendors: list[Vendor], categories: list[Category], prerequisites: list[Product]) -> None:
        self.vendor_id.choices = [SelectChoice(v.id, v.name if v.active else f"{v.name} ({_l('inactive')})")
                                  for v in vendors]
        self.category_id.choices = [SelectChoice(c.id, c.name if c.active else f"{c.name} ({_l('inactive')})")
                                    for c in categories]
        self.currency.choices = currency_choices()
        self.prerequisite_id.choices = [SelectChoice("", _l("None"))] + [
            SelectChoice(p.id, f"{p.name} ({p.sku})") for p in prerequisites]


class ProductSearchForm(FilterForm):
    q = StringField(_l("Search by SKU, name, vendor or tag"), validators=[Optional(), Length(max=100)],
                    filters=[_strip])
