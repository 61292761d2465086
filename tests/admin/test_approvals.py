"""Staff approvals: the queue, approve (keys + e-mail), reject (reason + e-mail), refusals, audit."""
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import AuditEvent, OrderStatus, Role, db
from services.orders import orders
from tests.factories import make_order, make_product, make_reseller, make_user
from tests.support import HX, mail_text, run_jobs


@pytest.fixture
def staff(login):
    return login(make_user(Role.STAFF))


@pytest.fixture
def reseller_user():
    return make_user(Role.RESELLER, reseller=make_reseller(name="Andes Software S.A."), email="ana@andes.test")


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_queue_lists_pending_orders_oldest_first(client, staff, reseller_user):
    first = make_order(reseller_user, lines=[(make_product(name="Windows 11 Pro", price=Decimal("199.00")), 6)],
                       description="PO-1", total=Decimal("1194.00"))
    second = make_order(reseller_user, lines=[(make_product(name="Office 2024"), 1)])
    make_order(reseller_user, status=OrderStatus.APPROVED, lines=[(make_product(name="Already done"), 1)])
    db.session.commit()
    html = text(client.get("/admin/approvals"))
    for part in ("Andes Software S.A.", "Windows 11 Pro × 6", "$1,194.00", "PO-1", "Approve", "Reject"):
        assert part in html
    assert html.index(first.number) < html.index(second.number) and "Already done" not in html
    assert "<html" not in text(client.get("/admin/approvals", headers=HX))
    assert ">2</strong>" in text(client.get("/admin/"))  # the count on the admin home


def test_empty_queue(client, staff):
    assert "No orders are waiting for approval." in text(client.get("/admin/approvals"))


def test_approve_makes_the_licenses_available_and_mails_the_reseller(client, staff, reseller_user, smtp):
    order = make_order(reseller_user, lines=[(make_product(name="Windows 11 Pro"), 6)])
    db.session.commit()
    response = client.post(f"/admin/approvals/{order.id}/approve")
    assert response.status_code == 303 and response.headers["Location"] == "/admin/approvals"
    assert f"Order {order.number} approved: 6 license keys issued." in text(client.get("/admin/approvals"))
    db.session.refresh(order)
    assert order.status is OrderStatus.APPROVED
    assert orders.availability([order.id]) == {order.id: (6, 6)}
    assert db.session.scalar(sa.select(AuditEvent.actor_id).where(AuditEvent.action == "order.approve")) == staff.id
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert message["To"] == "ana@andes.test"
    assert message["Subject"] == f"Order {order.number} approved: your licenses are available"
    assert "6 license keys are now available" in mail_text(message)


def test_approving_twice_is_refused_with_a_clear_message(client, staff, reseller_user):
    order = make_order(reseller_user)
    db.session.commit()
    client.post(f"/admin/approvals/{order.id}/approve")
    html = text(client.post(f"/admin/approvals/{order.id}/approve", follow_redirects=True))
    assert f"Order {order.number} was already approved. Nothing was changed." in html
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "order.approve")) == 1


def test_approving_a_cancelled_order_is_refused(client, staff, reseller_user):
    order = make_order(reseller_user, status=OrderStatus.CANCELLED)
    db.session.commit()
    html = text(client.post(f"/admin/approvals/{order.id}/approve", follow_redirects=True))
    assert "was cancelled by the reseller. Nothing was changed." in html
    db.session.refresh(order)
    assert order.status is OrderStatus.CANCELLED


def test_reject_requires_a_reason(client, staff, reseller_user):
    order = make_order(reseller_user)
    db.session.commit()
    response = client.post(f"/admin/approvals/{order.id}/reject", data={"reason": ""})
    assert response.status_code == 422
    assert "Give the reason for the rejection" in text(response) and 'id="reason-error"' in text(response)
    too_long = client.post(f"/admin/approvals/{order.id}/reject", data={"reason": "x" * 1001}, headers=HX)
    assert too_long.status_code == 422 and "At most 1000 characters." in text(too_long)
    assert "<html" not in text(too_long)
    db.session.refresh(order)
    assert order.status is OrderStatus.PENDING


def test_a_reason_of_only_spaces_gets_the_same_inline_error_as_an_empty_one(client, staff, reseller_user):
    order = make_order(reseller_user)
    db.session.commit()
    response = client.post(f"/admin/approvals/{order.id}/reject", data={"reason": "  \t \r\n "})
    assert response.status_code == 422  # the decision form again, not a redirect to the queue
    assert "Give the reason for the rejection" in text(response) and 'id="reason-error"' in text(response)
    db.session.refresh(order)
    assert order.status is OrderStatus.PENDING


def test_reject_with_a_reason_is_shown_and_mailed(client, staff, reseller_user, smtp, login):
    order = make_order(reseller_user)
    db.session.commit()
    response = client.post(f"/admin/approvals/{order.id}/reject", data={"reason": "Credit limit exceeded"})
    assert response.status_code == 303
    db.session.refresh(order)
    assert order.status is OrderStatus.REJECTED
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert message["Subject"] == f"Order {order.number} was rejected"
    assert "Reason: Credit limit exceeded" in mail_text(message)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "order.reject"))
    assert event.details == {"reason": "Credit limit exceeded"}
    login(reseller_user)
    html = text(client.get(f"/licenses/orders/{order.id}"))
    assert "Credit limit exceeded" in html and "Rejected" in html


def test_the_order_page_shows_the_details_and_the_decision(client, staff, reseller_user):
    order = make_order(reseller_user, lines=[(make_product(name="Windows 11 Pro"), 2)], delivery_comments="ASAP")
    db.session.commit()
    html = text(client.get(f"/admin/approvals/{order.id}"))
    for part in ("Andes Software S.A.", "ana@andes.test", "Windows 11 Pro", "ASAP", "Approve and issue 2 license keys",
                 "Reason for the rejection"):
        assert part in html
    client.post(f"/admin/approvals/{order.id}/approve")
    html = text(client.get(f"/admin/approvals/{order.id}"))
    assert "Decided by" in html and "Approve and issue" not in html
    assert client.get("/admin/approvals/999999").status_code == 404


def test_a_vendor_failure_changes_nothing(app, client, staff, reseller_user):
    order = make_order(reseller_user)
    db.session.commit()
    app.config["CONNECTOR"] = "nonexistent"
    html = text(client.post(f"/admin/approvals/{order.id}/approve", follow_redirects=True))
    assert "Unknown connector" in html
    db.session.refresh(order)
    assert order.status is OrderStatus.PENDING
    assert orders.availability([order.id])[order.id] == (0, 2)
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))
                             .where(AuditEvent.action == "order.approve")) == 0


@pytest.mark.parametrize("url", ["/admin/approvals", "/admin/approvals/1"])
def test_resellers_cannot_see_approvals(client, login, url):
    login(make_user(Role.RESELLER))
    assert client.get(url).status_code == 403
