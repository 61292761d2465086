from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from blueprints.catalog.forms import QuantityField
from blueprints.security import MAX_ID
from models.orders import new_token


class AssignForm(FlaskForm):
    """Rendered by hand (templates/licenses/_assign_form.html): the selects list the order's lines
    and the reseller's active customers; the service checks the ids, so no choices here."""

    line_id = IntegerField(_l("Product"), validators=[InputRequired(message=_l("Choose a product.")),
                                                      NumberRange(1, MAX_ID, message=_l("Choose a product."))])
    quantity = QuantityField(_l("Quantity to assign"), validators=[
        InputRequired(message=_l("Enter how many licenses to assign.")),
        NumberRange(min=1, message=_l("Enter a quantity of at least 1.")),
    ])
    customer_id = IntegerField(_l("Customer"), validators=[InputRequired(message=_l("Choose a customer.")),
                                                           NumberRange(1, MAX_ID, message=_l("Choose a customer."))])
    # New with each blank form: sent again (a retry after a dropped connection), it finds the first assignment.
    # A label of its own (hidden, never shown): without one WTForms translates a made-up label, and Flask-WTF loads
    # WTForms' catalogue from disk for it on every request that builds the form.
    token = HiddenField("", default=new_token)


class SendToForm(FlaskForm):
    email = StringField(_l("Send to another address"), validators=[
        InputRequired(message=_l("Enter an e-mail address.")), Length(max=254)])
