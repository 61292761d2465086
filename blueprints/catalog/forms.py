from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from services.numbers import whole_number


class QuantityField(IntegerField):
    """A whole number in ASCII digits, with one clear message for anything else ("abc", "1.5", "²", "٣"); a huge
    one is clamped to the database's range, so the caller's range check explains it."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            self.data = whole_number(valuelist[0])
            if self.data is None:
                raise ValueError(_l("Enter a whole number."))


def quantity_field() -> QuantityField:
    return QuantityField(_l("Quantity"), default=1, validators=[
        InputRequired(message=_l("Enter a quantity.")),
        NumberRange(min=1, message=_l("Enter a quantity of at least 1.")),
    ])


class AddToCartForm(FlaskForm):
    product_id = HiddenField("")  # a label, so WTForms' catalogue is not loaded to make one (licenses/forms.py)
    quantity = quantity_field()
