"""ESD licenses pages: the reseller's orders with "A of N", filters, the order page, cancel."""
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from models import AuditEvent, LicenseStatus, OrderStatus, Role, db
from services.orders import orders
from tests.factories import make_order, make_product, make_user
from tests.support import HX, HX_BOOSTED


@pytest.fixture
def buyer(login):
    return login(make_user(Role.RESELLER))


def text(response) -> str:
    return response.get_data(as_text=True)


def test_orders_list_shows_number_products_availability_and_status(client, buyer):
    pending = make_order(buyer, lines=[(make_product(name="Windows 11 Pro"), 6)], description="PO-1")
    done = make_order(buyer, status=OrderStatus.APPROVED, lines=[(make_product(name="Office 2024"), 2)])
    db.session.commit()
    html = text(client.get("/licenses/"))
    assert "ESD licenses" in html and "<html" in html
    for part in (pending.number, "Windows 11 Pro × 6", "0 of 6", "Pending", "PO-1", done.number, "2 of 2", "Done",
                 f'href="/licenses/orders/{pending.id}"', "Manage"):
        assert part in html
    assert html.index(done.number) < html.index(pending.number)  # newest first


def test_fragment_boosted_and_filter_by_status(client, buyer):
    make_order(buyer, lines=[(make_product(name="Windows 11 Pro"), 1)])
    make_order(buyer, status=OrderStatus.APPROVED, lines=[(make_product(name="Office 2024"), 1)])
    db.session.commit()
    fragment = text(client.get("/licenses/?status=done", headers=HX))
    assert "<html" not in fragment and "Office 2024" in fragment and "Windows 11 Pro" not in fragment
    assert "<html" in text(client.get("/licenses/?status=pending", headers=HX_BOOSTED))
    assert "No orders with this status." in text(client.get("/licenses/?status=rejected"))
    assert "Windows 11 Pro" in text(client.get("/licenses/?status=bogus"))  # unknown filter: all


def test_empty_state_and_pagination(client, buyer):
    assert "You have not ordered any licenses yet." in text(client.get("/licenses/"))
    product = make_product()
    for _ in range(21):
        make_order(buyer, lines=[(product, 1)])
    db.session.commit()
    html = text(client.get("/licenses/"))
    assert "Page 1 of 2" in html and 'href="/licenses/?page=2"' in html


def test_the_list_costs_the_same_queries_for_any_number_of_orders(client, buyer):
    def queries() -> int:
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert client.get("/licenses/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        return len(statements)

    make_order(buyer, lines=[(make_product(), 2)])
    db.session.commit()
    few = queries()
    for _ in range(8):
        make_order(buyer, lines=[(make_product(), 3), (make_product(), 1)])
    db.session.commit()
    assert queries() == few


def test_only_the_resellers_own_orders_are_listed_or_opened(client, buyer):
    other = make_order(lines=[(make_product(name="Somebody else's"), 1)])
    db.session.commit()
    assert "Somebody else's" not in text(client.get("/licenses/"))
    for url in (f"/licenses/orders/{other.id}", f"/licenses/orders/{other.id}/cancel"):
        assert client.get(url).status_code == 404
    assert client.post(f"/licenses/orders/{other.id}/cancel").status_code == 404
    assert other.status is OrderStatus.PENDING


def test_order_page_shows_the_licenses(client, buyer):
    order = make_order(buyer, status=OrderStatus.APPROVED, lines=[(make_product(name="Windows 11 Pro"), 3)],
                       total=Decimal("597.00"))
    db.session.commit()
    html = text(client.get(f"/licenses/orders/{order.id}"))
    assert f"Order {order.number}" in html and "3 of 3" in html and "Done" in html
    assert f"KEY-{order.lines[0].id}-3" in html and "Available" in html and "Cancel order" not in html
    fragment = text(client.get(f"/licenses/orders/{order.id}", headers=HX))
    assert "<html" not in fragment and "KEY-" in fragment


def test_cancel_asks_first_then_cancels_a_pending_order(client, buyer):
    order = make_order(buyer)
    db.session.commit()
    page = text(client.get(f"/licenses/orders/{order.id}"))
    assert "Cancel order" in page and 'hx-confirm="Cancel order' in page  # the shared dialog asks (canal.js)
    question = text(client.get(f"/licenses/orders/{order.id}/cancel", headers=HX))
    assert "<html" not in question and "Yes, cancel the order" in question and "No, keep it" in question
    response = client.post(f"/licenses/orders/{order.id}/cancel")
    assert response.status_code == 303 and response.headers["Location"] == f"/licenses/orders/{order.id}"
    html = text(client.get(response.headers["Location"]))
    assert f"Order {order.number} was cancelled." in html and "Cancelled" in html and "Cancel order" not in html
    db.session.refresh(order)
    assert order.status is OrderStatus.CANCELLED
    assert db.session.scalar(sa.select(AuditEvent.actor_id).where(AuditEvent.action == "order.cancel")) == buyer.id


def test_cancelling_an_approved_order_is_refused(client, buyer):
    order = make_order(buyer, status=OrderStatus.APPROVED)
    db.session.commit()
    html = text(client.post(f"/licenses/orders/{order.id}/cancel", follow_redirects=True))
    assert "was already approved. Nothing was changed." in html
    db.session.refresh(order)
    assert order.status is OrderStatus.APPROVED
    assert orders.availability([order.id])[order.id] == (2, 2)


def test_a_rejected_order_shows_the_reason(client, buyer):
    order = make_order(buyer, status=OrderStatus.REJECTED, rejection_reason="Credit limit exceeded")
    db.session.commit()
    html = text(client.get(f"/licenses/orders/{order.id}"))
    assert "Rejected" in html and "Credit limit exceeded" in html and "0 of 2" in html


def test_licenses_of_a_pending_order_wait_for_their_keys(client, buyer):
    order = make_order(buyer, lines=[(make_product(), 2)])
    db.session.commit()
    html = text(client.get(f"/licenses/orders/{order.id}"))
    assert html.count("Issued on approval") == 2 and LicenseStatus.PENDING.value.capitalize() in html
