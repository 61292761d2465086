from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from blueprints.catalog.forms import QuantityField
from blueprints.security import MAX_ID
from models import Order, OrderLine, OrderStatus
from models.orders import new_token
from services import assignments


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
    token = HiddenField(default=new_token)


class SendToForm(FlaskForm):
    email = StringField(_l("Send to another address"), validators=[
        InputRequired(message=_l("Enter an e-mail address.")), Length(max=254)])


def assignment_context(order: Order, lines: list[tuple[OrderLine, int, int]], reseller_id: int,
                       assign_form: AssignForm | None = None, send_form: SendToForm | None = None,
                       send_for: int | None = None) -> dict:
    """What the order page needs for "Assign" and the assignments table (forms kept on a 422); `lines`: each
    line with its available and total licenses (services.orders.order_lines)."""
    approved = order.status is OrderStatus.APPROVED  # only then the page shows assignments and the form
    lines = [(line, available) for line, available, _total in lines] if approved else []
    return {"assign_form": assign_form or AssignForm(formdata=None),
            "rows": assignments.order_assignments(order) if approved else [], "lines": lines,
            "customers": assignments.active_customers(reseller_id) if any(n for _, n in lines) else [],
            "in_flight": assignments.in_flight,
            "send_form": send_form, "send_for": send_for}  # a send form only to show its errors again
