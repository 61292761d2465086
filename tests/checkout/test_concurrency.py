"""Races on PostgreSQL: a confirm submitted many times at once makes one order; approve and cancel
racing on one order leave exactly one decision."""
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import AuditEvent, License, LicenseStatus, Order, OrderStatus, Role, db
from services.orders import orders
from tests.checkout.support import fill_cart, review_fields, walk_to_review
from tests.factories import make_order, make_product, make_user

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _postgres_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a concurrency test: run with TEST_DATABASE_URL (CI does)")


def race(count: int, action) -> list:
    """Run action(i) in `count` threads released at the same moment; returns results or exceptions."""
    barrier, results = threading.Barrier(count), [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(i)
        except Exception as exc:  # the test inspects what each thread got
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_many_simultaneous_confirms_make_one_order(app, client, login):
    buyer = login(make_user(Role.RESELLER))
    fill_cart(buyer, (make_product(price=Decimal("10.00")), 6))
    fields = review_fields(walk_to_review(client))
    clients = []
    for _ in range(8):
        c = app.test_client()
        with c.session_transaction() as session:
            session["_user_id"] = buyer.get_id()
        clients.append(c)

    responses = race(8, lambda i: clients[i].post("/checkout/review", data=fields))
    assert {r.status_code for r in responses} == {303}
    assert len({r.headers["Location"] for r in responses}) == 1
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(License.id))) == 6


def test_approve_and_cancel_racing_leave_one_decision(app):
    order = make_order(lines=[(make_product(), 6)])
    staff = make_user(Role.STAFF)
    db.session.commit()
    order_id, staff_id, owner_id = order.id, staff.id, order.user_id

    def decide(i: int) -> str:
        with app.app_context():
            target = db.session.get(Order, order_id)
            try:
                if i % 2:
                    orders.approve_order(target, db.session.get(type(staff), staff_id))
                else:
                    orders.cancel_order(target, db.session.get(type(staff), owner_id))
                db.session.commit()
                return "won"
            except orders.OrderError:
                db.session.rollback()
                return "refused"
            finally:
                db.session.remove()

    results = race(10, decide)
    assert results.count("won") == 1 and results.count("refused") == 9
    db.session.expire_all()
    final = db.session.get(Order, order_id)
    statuses = set(db.session.scalars(sa.select(License.status).join(License.order_line)
                                      .where(License.order_line.has(order_id=order_id))))
    expected = {OrderStatus.APPROVED: {LicenseStatus.AVAILABLE}, OrderStatus.CANCELLED: {LicenseStatus.VOID}}
    assert statuses == expected[final.status]
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))
                             .where(AuditEvent.action.in_(["order.approve", "order.cancel"]))) == 1
