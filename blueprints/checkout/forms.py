from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from models import DeliveryMethod
from models.orders import COMMENTS_MAX, DESCRIPTION_MAX
from services.mail.addresses import AddressError, clean_address

DELIVERY_LABELS = {DeliveryMethod.ELECTRONIC.value: _l("Electronic delivery"),
                   DeliveryMethod.PICKUP.value: _l("Pickup at the distributor")}


class DetailsForm(FlaskForm):
    confirmation_email = EmailField(_l("Confirmation e-mail"), validators=[
        InputRequired(message=_l("Enter the e-mail address that receives the confirmation.")), Length(max=254)])
    description = StringField(_l("Description (optional)"), validators=[
        Length(max=DESCRIPTION_MAX, message=_l("At most %(max)d characters."))],
        description=_l("For example your internal purchase order number."))

    def validate_confirmation_email(self, field):
        try:
            clean_address(field.data or "")
        except AddressError as exc:
            raise ValidationError(str(exc)) from None


class DeliveryForm(FlaskForm):
    delivery_method = RadioField(_l("Delivery"), validate_choice=True,
                                 choices=[SelectChoice(value, label) for value, label in DELIVERY_LABELS.items()],
                                 validators=[InputRequired(message=_l("Choose how the order is delivered."))])
    delivery_comments = TextAreaField(_l("Comments (optional)"), validators=[
        Length(max=COMMENTS_MAX, message=_l("At most %(max)d characters."))])


class AmountForm(FlaskForm):
    """Continue from the amounts: nothing to type, the server computes everything."""


class ReviewForm(FlaskForm):
    token = HiddenField("")  # labels, so WTForms' catalogue is not loaded to make them (licenses/forms.py)
    quote = HiddenField("")
