"""Staff see every reseller's subscriptions and suspend / reactivate one with a reason: audited, on the
timeline, the reseller's admins e-mailed in their language; a second click or a wrong state changes nothing."""
import pytest
import sqlalchemy as sa

from models import AuditEvent, OutboxEmail, Role, Subscription, SubscriptionEvent, SubscriptionStatus, TeamRole, db
from services.subscriptions import staff
from services.subscriptions.staff import SubscriptionError
from tests.factories import make_customer, make_user
from tests.subscriptions import make_subscription


@pytest.fixture
def world():
    admin = make_user(name="Ana Admin", locale="es")
    make_user(reseller=admin.reseller, team_role=TeamRole.VIEWER)  # viewers are not told
    sub = make_subscription(admin, make_customer(admin.reseller, name="Acme"))
    other = make_user()
    other_sub = make_subscription(other, make_customer(other.reseller, name="Other Co"))
    return make_user(Role.STAFF, name="Sam Staff"), admin, sub, other_sub


def test_staff_list_every_resellers_subscriptions_and_filter_by_reseller(client, login, world):
    staff_user, admin, sub, other_sub = world
    login(staff_user)
    body = client.get("/admin/subscriptions/").get_data(as_text=True)
    assert f'id="subscription-{sub.id}"' in body and f'id="subscription-{other_sub.id}"' in body
    body = client.get(f"/admin/subscriptions/?reseller_id={admin.reseller_id}").get_data(as_text=True)
    assert f'id="subscription-{sub.id}"' in body and f'id="subscription-{other_sub.id}"' not in body
    csv = client.get(f"/admin/subscriptions/export.csv?reseller_id={admin.reseller_id}").get_data(as_text=True)
    assert admin.reseller.name in csv and "Other Co" not in csv


def test_suspend_with_a_reason_then_reactivate(client, login, world):
    staff_user, admin, sub, _ = world
    login(staff_user)
    page = client.get(f"/admin/subscriptions/{sub.id}").get_data(as_text=True)
    assert "hx-confirm=" in page and "Suspend" in page
    response = client.post(f"/admin/subscriptions/{sub.id}/suspend", data={"reason": "Unpaid invoice 42"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Subscription, sub.id).status is SubscriptionStatus.SUSPENDED
    event = db.session.scalars(sa.select(SubscriptionEvent).where(SubscriptionEvent.kind == "suspended")).one()
    assert (event.actor_id, event.details) == (staff_user.id, {"reason": "Unpaid invoice 42"})
    audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "subscription.suspended")).one()
    assert audit.object_id == str(sub.id) and audit.details == {"reason": "Unpaid invoice 42"}
    [email] = db.session.scalars(sa.select(OutboxEmail)).all()  # the admin only, in Spanish
    assert email.to_addr == admin.email and "Unpaid invoice 42" in email.body_text
    assert sub.name in email.subject

    again = client.post(f"/admin/subscriptions/{sub.id}/suspend", data={"reason": "twice"})
    assert again.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SubscriptionEvent)
                             .where(SubscriptionEvent.kind == "suspended")) == 1

    client.post(f"/admin/subscriptions/{sub.id}/reactivate", data={"reason": "Paid"})
    db.session.expire_all()
    assert db.session.get(Subscription, sub.id).status is SubscriptionStatus.ACTIVE


def test_no_reason_is_422_next_to_the_field_and_changes_nothing(client, login, world):
    staff_user, _, sub, _ = world
    login(staff_user)
    response = client.post(f"/admin/subscriptions/{sub.id}/suspend", data={"reason": "   "})
    assert response.status_code == 422 and "Give the reason" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Subscription, sub.id).status is SubscriptionStatus.ACTIVE
    assert client.post("/admin/subscriptions/999999/suspend", data={"reason": "x"}).status_code == 404


def test_resellers_cannot_reach_the_staff_pages(client, login, world):
    _, admin, sub, _ = world
    login(admin)
    assert client.get("/admin/subscriptions/").status_code == 403
    assert client.post(f"/admin/subscriptions/{sub.id}/suspend", data={"reason": "x"}).status_code == 403


def test_a_cancelled_subscription_cannot_be_suspended(app, world):
    staff_user, _, sub, _ = world
    sub.status = SubscriptionStatus.CANCELLED
    db.session.commit()
    with app.test_request_context(), pytest.raises(SubscriptionError):
        staff.suspend(sub, staff_user, "late")
