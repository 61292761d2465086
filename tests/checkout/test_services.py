"""Placing an order: frozen prices, one license per unit, the e-mails, and only once."""
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from models import AuditEvent, License, LicenseStatus, Order, OrderStatus, ResellerStatus, Role, db
from models.orders import DeliveryMethod
from services.orders import cart as carts
from services.orders import checkout
from tests.checkout.support import fill_cart
from tests.factories import make_order, make_product, make_user
from tests.support import mail_text, run_jobs

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


@pytest.fixture
def buyer():
    return make_user(Role.RESELLER, email="ana@andes.test")


def ready_checkout(user, *items):
    """A cart with `items` and a checkout whose first three steps are done."""
    fill_cart(user, *items)
    state = checkout.checkout_for(user)
    checkout.save_details(state, confirmation_email="compras@andes.test", description="PO-9")
    checkout.save_delivery(state, method=DeliveryMethod.ELECTRONIC, comments="")
    checkout.accept_amount(state, carts.get_cart(user).lines)
    return state


def place(user, state=None):
    state = state or checkout.get_checkout(user)
    return checkout.place_order(user, token=state.token, quote_seen=checkout.quote(carts.get_cart(user).lines))


def test_placing_freezes_prices_and_creates_one_pending_license_per_unit(buyer):
    windows, office = make_product(price=Decimal("199.00")), make_product(price=Decimal("249.50"))
    ready_checkout(buyer, (windows, 4), (office, 2))
    order = place(buyer)
    db.session.commit()
    windows.price = Decimal("1.00")  # later price changes don't touch the order
    db.session.commit()
    db.session.refresh(order)
    assert order.status is OrderStatus.PENDING and order.subtotal == Decimal("1295.00")
    assert [(line.quantity, line.unit_price) for line in order.lines] == [(4, Decimal("199.00")),
                                                                          (2, Decimal("249.50"))]
    seqs = db.session.execute(sa.select(License.order_line_id, License.seq, License.status, License.key)
                              .order_by(License.id)).all()
    assert [(s, st, k) for _, s, st, k in seqs] == [(i, LicenseStatus.PENDING, None) for i in (1, 2, 3, 4, 1, 2)]
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.object_id == str(order.id))) \
        == "order.place"


def test_placing_twice_with_the_same_token_returns_the_same_order(buyer):
    state = ready_checkout(buyer, (make_product(), 1))
    token, quote = state.token, checkout.quote(carts.get_cart(buyer).lines)
    first = checkout.place_order(buyer, token=token, quote_seen=quote)
    db.session.commit()
    assert checkout.place_order(buyer, token=token, quote_seen=quote) is first
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1


def test_the_checkout_token_is_unique_at_the_database():
    order = make_order()
    db.session.commit()
    with pytest.raises(IntegrityError):
        make_order(checkout_token=order.checkout_token)
    db.session.rollback()


def test_a_changed_price_or_tax_rate_is_refused(app, buyer):
    product = make_product(price=Decimal("10.00"))
    state = ready_checkout(buyer, (product, 1))
    seen = checkout.quote(carts.get_cart(buyer).lines)
    app.config["TAX_RATE"] = "0.10"
    with pytest.raises(checkout.AmountsChanged):
        checkout.place_order(buyer, token=state.token, quote_seen=seen)


def test_a_suspended_reseller_cannot_place_orders(buyer):
    state = ready_checkout(buyer, (make_product(), 1))
    buyer.reseller.status = ResellerStatus.SUSPENDED
    with pytest.raises(checkout.CheckoutError, match="suspended"):
        place(buyer, state)


def test_the_steps_must_be_done_first(buyer):
    fill_cart(buyer, (make_product(), 1))
    state = checkout.checkout_for(buyer)
    with pytest.raises(checkout.CheckoutError, match="earlier steps"):
        place(buyer, state)


def test_over_the_maximum_or_inactive_lines_cannot_be_ordered(buyer):
    product = make_product(max_quantity=5)
    state = ready_checkout(buyer, (product, 5))
    product.max_quantity = 3  # lowered by staff after it was added
    with pytest.raises(checkout.CheckoutError, match="cannot be ordered"):
        place(buyer, state)
    line = carts.get_cart(buyer).lines[0]
    assert checkout.line_problems([line]) == {line.id: "At most 3 per order."}


def test_placing_mails_the_buyer_and_every_enabled_staff_member(smtp, buyer):
    make_user(Role.STAFF, email="approver@distri.test")
    make_user(Role.STAFF, email="gone@distri.test", enabled=False)
    make_user(Role.OPS, email="ops@distri.test")
    ready_checkout(buyer, (make_product(name="Windows 11 Pro", price=Decimal("199.00")), 6))
    order = place(buyer)
    db.session.commit()
    run_jobs("mail")
    messages = {m["To"]: m for m in smtp.wait_for_messages(2)}
    assert set(messages) == {"compras@andes.test", "approver@distri.test"}
    received = messages["compras@andes.test"]
    assert received["Subject"] == f"We received your order {order.number}: it awaits the distributor's approval"
    body = mail_text(received)
    assert "Windows 11 Pro" in body and "$1,194.00" in body and "PO-9" in body
    assert f"http://canal.test/licenses/orders/{order.id}" in body
    to_approve = messages["approver@distri.test"]
    assert to_approve["Subject"] == f"{buyer.reseller.name} placed order {order.number}: it awaits your approval"
    assert f"http://canal.test/admin/approvals/{order.id}" in mail_text(to_approve)
