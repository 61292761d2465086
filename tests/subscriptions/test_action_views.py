"""The action pages: each a confirmation with its money, pre-flight and conflicts; bad input gets a clear message."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import Import, Subscription, SubscriptionStatus, TeamRole, db, utcnow
from services.subscriptions import actions, kinds_change
from tests.factories import make_customer, make_user
from tests.subscriptions import make_subscription


@pytest.fixture
def owned(login):
    user = make_user(name="Rita Reseller")
    sub = make_subscription(user, make_customer(user.reseller), at=utcnow() - timedelta(days=2, hours=23))
    login(user)
    return user, sub


def fresh(sub) -> Subscription:
    db.session.expire_all()
    return db.session.get(Subscription, sub.id)


def test_the_page_offers_the_actions_inside_the_window_and_explains_after_it(client, login):
    user = make_user()
    inside = make_subscription(user, make_customer(user.reseller), at=utcnow() - timedelta(days=1))
    after = make_subscription(user, make_customer(user.reseller), at=utcnow() - timedelta(days=9))
    login(user)
    body = client.get(f"/subscriptions/{inside.id}").get_data(as_text=True)
    assert "Cancel subscription…" in body and "Change seats…" in body and "Turn auto-renew off" in body
    body = client.get(f"/subscriptions/{after.id}").get_data(as_text=True)
    assert "Cancel subscription…" not in body
    assert "It can no longer be cancelled" in body and "Turn auto-renew off to end it at its term end." in body


def test_cancel_shows_the_credit_then_cancels(client, owned):
    _user, sub = owned
    body = client.get(f"/subscriptions/{sub.id}/cancel").get_data(as_text=True)
    assert "$19.47" in body and 'id="confirm-change"' in body
    response = client.post(f"/subscriptions/{sub.id}/cancel", data={"version": 0, "token": "t1"})
    assert response.status_code == 303
    assert fresh(sub).status is SubscriptionStatus.CANCELLED
    page = client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert "Done: Cancel" in page and "Credit: $19.47" in page  # the flash, and the timeline


def test_a_double_submitted_form_makes_one_change(client, owned):
    _user, sub = owned
    for _ in range(2):
        assert client.post(f"/subscriptions/{sub.id}/quantity",
                           data={"version": 0, "token": "same", "quantity": 5}).status_code == 303
    assert fresh(sub).quantity == 5
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Import)) == 1


def test_a_decrease_of_seats_outside_their_window_says_when_it_becomes_possible(client, login):
    user = make_user()
    sub = make_subscription(user, make_customer(user.reseller), at=utcnow() - timedelta(days=30))
    login(user)
    response = client.get(f"/subscriptions/{sub.id}/quantity?quantity=2")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Only 0 seats can be removed now" in body and f"renewal on {sub.term_end:%Y-%m-%d %H:%M} UTC" in body
    assert 'id="confirm-change"' not in body


@pytest.mark.parametrize(("quantity", "message"), [("0", "at least 1"), ("9999", "At most 300 seats"),
                                                   ("abc", "Enter a whole number.")])
def test_bad_quantities_get_a_clear_message(client, owned, quantity, message):
    _user, sub = owned
    response = client.get(f"/subscriptions/{sub.id}/quantity?quantity={quantity}")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    response = client.post(f"/subscriptions/{sub.id}/quantity", data={"version": 0, "token": "x", "quantity": quantity})
    assert response.status_code in (303, 422)
    assert fresh(sub).quantity == 3 and fresh(sub).version == 0


def test_cancel_after_the_window_is_refused(client, login):
    user = make_user()
    sub = make_subscription(user, make_customer(user.reseller), at=utcnow() - timedelta(days=8))
    login(user)
    response = client.post(f"/subscriptions/{sub.id}/cancel", data={"version": 0, "token": "t"}, follow_redirects=True)
    assert "The cancellation window closed on" in response.get_data(as_text=True)
    assert fresh(sub).status is SubscriptionStatus.ACTIVE


def test_another_resellers_subscription_is_404_on_every_action(client, login):
    owner = make_user()
    sub = make_subscription(owner, make_customer(owner.reseller))
    login(make_user())
    for path in ("cancel", "quantity?quantity=4", "schedule"):
        assert client.get(f"/subscriptions/{sub.id}/{path}").status_code == 404
    for path in ("cancel", "quantity", "auto-renew", "schedule"):
        assert client.post(f"/subscriptions/{sub.id}/{path}", data={"version": 0, "quantity": 4}).status_code == 404
    assert fresh(sub).version == 0


def test_a_viewer_cannot_act(client, login):
    admin = make_user()
    sub = make_subscription(admin, make_customer(admin.reseller), at=utcnow() - timedelta(days=1))
    login(make_user(reseller=admin.reseller, team_role=TeamRole.VIEWER))
    assert client.post(f"/subscriptions/{sub.id}/cancel", data={"version": 0}).status_code == 403
    assert fresh(sub).status is SubscriptionStatus.ACTIVE


def test_a_change_now_shows_scheduled_changes_and_asks_whether_to_keep_them(client, owned):
    user, sub = owned
    scheduled = actions.request_change(sub, user, kinds_change.QUANTITY, token=None, shown_version=None, quantity=6,
                                       run_at=utcnow() + timedelta(days=2))
    db.session.commit()
    body = client.get(f"/subscriptions/{sub.id}/quantity?quantity=4").get_data(as_text=True)
    assert "This subscription has changes scheduled" in body and scheduled.name in body
    response = client.post(f"/subscriptions/{sub.id}/quantity", data={"version": 0, "token": "a", "quantity": 4})
    assert response.status_code == 422 and "say whether to keep or cancel them" in response.get_data(as_text=True)
    assert fresh(sub).quantity == 3
    client.post(f"/subscriptions/{sub.id}/quantity", data={"version": 0, "token": "b", "quantity": 4,
                                                          "scheduled": "cancel"})
    assert fresh(sub).quantity == 4 and actions.scheduled_changes(sub.id) == []


def test_schedule_a_change_reviews_then_schedules(client, owned):
    _user, sub = owned
    data = {"change": "quantity", "quantity": 7, "when": "at", "run_at": (utcnow() + timedelta(days=1))
            .strftime("%Y-%m-%dT%H:%M"), "token": "s1"}
    review = client.post(f"/subscriptions/{sub.id}/schedule", data=data)
    assert review.status_code == 200 and 'id="schedule-review"' in review.get_data(as_text=True)
    assert actions.scheduled_changes(sub.id) == []
    assert client.post(f"/subscriptions/{sub.id}/schedule", data={**data, "confirm": "1"}).status_code == 303
    [(imp, item)] = actions.scheduled_changes(sub.id)
    assert item.quantity == 7 and imp.source.value == "scheduled_change"
    bad = client.post(f"/subscriptions/{sub.id}/schedule", data={**data, "quantity": 0, "token": "s2",
                                                                "confirm": "1"})
    assert bad.status_code == 422 and "at least 1" in bad.get_data(as_text=True)


def test_auto_renew_form(client, owned):
    _user, sub = owned
    client.post(f"/subscriptions/{sub.id}/auto-renew", data={"version": 0, "on": "0"})
    assert fresh(sub).auto_renew is False
    stale = client.post(f"/subscriptions/{sub.id}/auto-renew", data={"version": 0, "on": "1"}, follow_redirects=True)
    assert "changed while you were looking" in stale.get_data(as_text=True) and fresh(sub).auto_renew is False
