from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired, NumberRange


class QuantityField(IntegerField):
    """A whole number, with one clear message for anything else ("abc", "1.5")."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError(_l("Enter a whole number.")) from None


def quantity_field() -> QuantityField:
    return QuantityField(_l("Quantity"), default=1, validators=[
        InputRequired(message=_l("Enter a quantity.")),
        NumberRange(min=1, message=_l("Enter a quantity of at least 1.")),
    ])


class AddToCartForm(FlaskForm):
    product_id = HiddenField()
    quantity = quantity_field()
