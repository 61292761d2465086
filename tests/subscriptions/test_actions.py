"""Cancel within the window, change seats, auto-renew: through the import engine, with their money and records."""
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import (
    AuditEvent,
    Charge,
    ChargeKind,
    Import,
    ImportSource,
    OutboxEmail,
    Subscription,
    SubscriptionEventKind,
    SubscriptionStatus,
    db,
    utcnow,
)
from services.subscriptions import actions, kinds_change, timeline
from services.subscriptions.changes import ChangeRefused
from tests.factories import make_customer, make_user
from tests.subscriptions import make_subscription

pytestmark = pytest.mark.usefixtures("app")


def setup(days_ago: float = 3, hours: float = -1, **kw):
    user = make_user(name="Rita Reseller")
    customer = make_customer(user.reseller, name="Acme Corp")
    sub = make_subscription(user, customer, at=utcnow() - timedelta(days=days_ago, hours=hours), **kw)
    return user, sub


def ask(sub, user, kind, **kw):
    imp = actions.request_change(sub, user, kind, token=kw.pop("token", None), shown_version=sub.version, **kw)
    db.session.commit()
    return actions.run_now(imp.id)


def fresh(sub) -> Subscription:
    db.session.expire_all()
    return db.session.get(Subscription, sub.id)


def charges(sub, kind: ChargeKind) -> list[Decimal]:
    return list(db.session.scalars(sa.select(Charge.amount).where(Charge.subscription_id == sub.id,
                                                                  Charge.kind == kind)))


def event_kinds(sub) -> list[SubscriptionEventKind]:
    return [e.kind for e in timeline.events(sub.id)]


def test_cancel_on_day_3_credits_charged_minus_used_and_records_everything():
    user, sub = setup(days_ago=3, hours=-1)  # 2 days 23 hours ago: day 3 of the term
    assert kinds_change.cancellation_credit(sub, utcnow()) == Decimal("19.47")
    imp = ask(sub, user, kinds_change.CANCEL)
    assert actions.outcome(imp) == (True, [])
    assert imp.source is ImportSource.CHANGE
    sub = fresh(sub)
    assert sub.status is SubscriptionStatus.CANCELLED and not sub.auto_renew
    # 3 seats x 7.20 = 21.60 charged for the month; 3 x 7.20 x 12 x 3 / 365 = 2.13 used
    assert charges(sub, ChargeKind.SUBSCRIPTION_FEE) == [Decimal("21.60")]
    assert charges(sub, ChargeKind.CREDIT_CANCELLATION) == [Decimal("-19.47")]
    cancelled = [e for e in timeline.events(sub.id) if e.kind is SubscriptionEventKind.CANCELLED]
    assert cancelled[0].details["credit"] == "19.47" and cancelled[0].actor_id == user.id
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "subscription.cancelled"))
    email = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.template == "subscription_changed")).one()
    assert "was cancelled" in email.subject and "$19.47" in email.body_text and email.to_addr == user.email
    # no generic "import completed" e-mail besides it
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 1


def test_cancel_after_the_window_is_refused_and_changes_nothing():
    user, sub = setup(days_ago=8)
    with pytest.raises(ChangeRefused, match="The cancellation window closed on"):
        actions.request_change(sub, user, kinds_change.CANCEL, token=None, shown_version=sub.version)
    db.session.rollback()
    sub = fresh(sub)
    assert sub.status is SubscriptionStatus.ACTIVE and sub.version == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Import)) == 0


def test_adding_seats_charges_to_the_period_end_and_opens_their_own_window():
    user, sub = setup(days_ago=10, hours=0)
    imp = ask(sub, user, kinds_change.QUANTITY, quantity=5)
    assert actions.outcome(imp) == (True, [])
    sub = fresh(sub)
    assert sub.quantity == 5
    lots = timeline.current_lots(sub)
    assert [lot.quantity for lot in lots] == [3, 2] and lots[1].removable(utcnow()) == 2
    added = charges(sub, ChargeKind.SEATS_ADDED)
    assert len(added) == 1 and Decimal("0") < added[0] < Decimal("14.40")  # less than a full month of 2 seats
    assert SubscriptionEventKind.SEATS_ADDED in event_kinds(sub)


def test_removing_seats_takes_only_those_inside_their_window_and_credits_them():
    user, sub = setup(days_ago=10, hours=0)
    ask(sub, user, kinds_change.QUANTITY, quantity=5)
    sub = fresh(sub)
    with pytest.raises(ChangeRefused, match=r"Only 2 seats can be removed now.*renewal on"):
        actions.request_change(sub, user, kinds_change.QUANTITY, token=None, shown_version=sub.version, quantity=2)
    db.session.rollback()
    imp = ask(fresh(sub), user, kinds_change.QUANTITY, quantity=3)
    assert actions.outcome(imp) == (True, [])
    sub = fresh(sub)
    assert sub.quantity == 3 and [lot.active for lot in timeline.current_lots(sub)] == [3, 0]
    assert charges(sub, ChargeKind.SEATS_ADDED)[0] + charges(sub, ChargeKind.CREDIT_SEATS_REMOVED)[0] >= 0


@pytest.mark.parametrize(("quantity", "message"), [(0, "at least 1"), (301, "At most 300 seats"),
                                                    (3, "already has 3 seats")])
def test_bad_quantities_are_refused(quantity, message):
    user, sub = setup(days_ago=1)
    with pytest.raises(ChangeRefused, match=message):
        actions.request_change(sub, user, kinds_change.QUANTITY, token=None, shown_version=0, quantity=quantity)
    db.session.rollback()
    assert fresh(sub).quantity == 3 and fresh(sub).version == 0


def test_a_double_submit_makes_one_change():
    user, sub = setup(days_ago=10, hours=0)
    first = ask(sub, user, kinds_change.QUANTITY, quantity=4, token="tok-1")
    again = actions.request_change(fresh(sub), user, kinds_change.QUANTITY, token="tok-1", shown_version=0,
                                   quantity=4)
    assert again.id == first.id
    assert fresh(sub).quantity == 4 and len(charges(sub, ChargeKind.SEATS_ADDED)) == 1


def test_a_change_from_a_stale_page_is_refused():
    user, sub = setup(days_ago=2)
    ask(sub, user, kinds_change.QUANTITY, quantity=4)
    stale = fresh(sub)
    with pytest.raises(ChangeRefused, match="changed while you were looking"):
        actions.request_change(stale, user, kinds_change.CANCEL, token=None, shown_version=0)
    db.session.rollback()
    assert fresh(sub).status is SubscriptionStatus.ACTIVE and fresh(sub).quantity == 4


def test_an_item_pinned_to_an_old_version_fails_with_the_reason_at_run():
    user, sub = setup(days_ago=2)
    imp = actions.request_change(sub, user, kinds_change.CANCEL, token=None, shown_version=0)
    db.session.commit()
    db.session.execute(sa.update(Subscription).where(Subscription.id == sub.id).values(version=Subscription.version
                                                                                      + 1))
    db.session.commit()
    done, reasons = actions.outcome(actions.run_now(imp.id))
    assert done is False and "changed after this was asked for" in reasons[0]
    assert fresh(sub).status is SubscriptionStatus.ACTIVE


def test_auto_renew_off_and_on_is_audited_and_on_the_timeline():
    user, sub = setup(days_ago=20)
    actions.set_auto_renew(sub, user, False, 0)
    db.session.commit()
    assert fresh(sub).auto_renew is False
    with pytest.raises(ChangeRefused, match="already off"):
        actions.set_auto_renew(fresh(sub), user, False, 1)
    db.session.rollback()
    with pytest.raises(ChangeRefused, match="changed while"):
        actions.set_auto_renew(fresh(sub), user, True, 0)
    db.session.rollback()
    actions.set_auto_renew(fresh(sub), user, True, 1)
    db.session.commit()
    assert event_kinds(sub)[-2:] == [SubscriptionEventKind.AUTO_RENEW_OFF, SubscriptionEventKind.AUTO_RENEW_ON]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action.like("subscription.auto_renew_%"))) == 2


def test_a_suspended_subscription_cannot_be_changed():
    user, sub = setup(days_ago=1, status=SubscriptionStatus.SUSPENDED)
    with pytest.raises(ChangeRefused, match="SUSPENDED"):
        actions.request_change(sub, user, kinds_change.QUANTITY, token=None, shown_version=0, quantity=4)
