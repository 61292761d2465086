"""Order decisions: approve issues keys, reject needs a reason, cancel; each only from PENDING, once."""
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from models import AuditEvent, License, LicenseStatus, OrderStatus, OutboxEmail, Role, db
from services.connectors.local import MICROSOFT_KEY_ALPHABET
from services.orders import orders
from tests.factories import make_order, make_product, make_user, make_vendor

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


@pytest.fixture
def staff():
    return make_user(Role.STAFF)


def licenses(order) -> list[License]:
    return list(db.session.scalars(sa.select(License).join(License.order_line)
                                   .where(License.order_line.has(order_id=order.id)).order_by(License.id)))


def audit_actions(order) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "Order",
                                                                      AuditEvent.object_id == str(order.id))))


def test_approve_issues_keys_in_the_vendors_format_and_makes_them_available(staff):
    windows = make_product(vendor=make_vendor("Microsoft"), price=Decimal("199.00"))
    order = make_order(lines=[(windows, 6)])
    orders.approve_order(order, staff)
    db.session.commit()
    rows = licenses(order)
    assert order.status is OrderStatus.APPROVED and order.decided_by_id == staff.id
    assert [r.status for r in rows] == [LicenseStatus.AVAILABLE] * 6
    key = re.compile(rf"^[{MICROSOFT_KEY_ALPHABET}]{{5}}(-[{MICROSOFT_KEY_ALPHABET}]{{5}}){{4}}$")
    assert all(key.match(r.key) for r in rows) and len({r.key for r in rows}) == 6
    assert orders.availability([order.id]) == {order.id: (6, 6)}
    assert audit_actions(order) == ["order.approve"]
    assert db.session.scalar(sa.select(OutboxEmail.template)) == "order_approved"


def test_approving_twice_is_refused_and_changes_nothing(staff):
    order = make_order()
    orders.approve_order(order, staff)
    db.session.commit()
    keys = [r.key for r in licenses(order)]
    with pytest.raises(orders.OrderError, match=f"Order {order.number} was already approved. Nothing was changed."):
        orders.approve_order(order, make_user(Role.STAFF))
    db.session.rollback()
    assert [r.key for r in licenses(order)] == keys and order.decided_by_id == staff.id
    assert audit_actions(order) == ["order.approve"]
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 1


def test_a_cancelled_order_cannot_be_approved(staff):
    order = make_order()
    orders.cancel_order(order, order.user)
    db.session.commit()
    with pytest.raises(orders.OrderError, match="was cancelled by the reseller"):
        orders.approve_order(order, staff)
    db.session.rollback()
    assert order.status is OrderStatus.CANCELLED
    assert {r.status for r in licenses(order)} == {LicenseStatus.VOID} and all(r.key is None for r in licenses(order))


def test_keys_are_idempotent_on_the_order_id(app, staff):
    """Re-asking the vendor for the same order gives the same keys (the connector's contract)."""
    from services.connectors import get_connector

    order = make_order(lines=[(make_product(), 3)])
    orders.approve_order(order, staff)
    line = order.lines[0]
    again = get_connector().issue_keys(line.vendor_name, line.sku, 3, idempotency_key=f"order-{order.id}")
    assert again == [r.key for r in licenses(order)]


def test_reject_needs_a_reason_and_voids_the_licenses(staff):
    order = make_order()
    with pytest.raises(orders.OrderError, match="reason"):
        orders.reject_order(order, staff, "   ")
    assert order.status is OrderStatus.PENDING
    orders.reject_order(order, staff, " Credit limit exceeded ")
    db.session.commit()
    assert (order.status, order.rejection_reason) == (OrderStatus.REJECTED, "Credit limit exceeded")
    assert {r.status for r in licenses(order)} == {LicenseStatus.VOID}
    assert audit_actions(order) == ["order.reject"]
    with pytest.raises(orders.OrderError, match="already rejected"):
        orders.approve_order(order, staff)


def test_an_approved_order_cannot_be_cancelled(staff):
    order = make_order()
    orders.approve_order(order, staff)
    db.session.commit()
    with pytest.raises(orders.OrderError, match="already approved"):
        orders.cancel_order(order, order.user)
    db.session.rollback()
    assert {r.status for r in licenses(order)} == {LicenseStatus.AVAILABLE}


def test_availability_is_one_grouped_query_for_a_page_of_orders():
    user = make_user(Role.RESELLER)
    made = [make_order(user, lines=[(make_product(), n), (make_product(), 1)]) for n in (1, 2, 3, 4)]
    made.append(make_order(user, status=OrderStatus.APPROVED, lines=[(make_product(), 6)]))
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        counts = orders.availability([o.id for o in made])
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) == 1
    assert [counts[o.id] for o in made] == [(0, 2), (0, 3), (0, 4), (0, 5), (6, 6)]

