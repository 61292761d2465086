"""Term ends (renew or expire, once per term), reminders (each once) and scheduled changes applied at renewal."""
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from jobs.provisioning import run_due_imports
from models import (
    Charge,
    ChargeKind,
    Import,
    ImportSource,
    ImportStatus,
    OutboxEmail,
    Subscription,
    SubscriptionEventKind,
    SubscriptionStatus,
    db,
    utcnow,
)
from services.imports import imports
from services.subscriptions import actions, kinds_change, kinds_renewal, renewals, terms, timeline
from tests.factories import make_customer, make_user
from tests.subscriptions import make_subscription
from tests.support import run_jobs

pytestmark = pytest.mark.usefixtures("app")


def ended_subscription(auto_renew: bool = True, **kw):
    """A monthly subscription whose term ended a minute ago."""
    user = make_user(name="Ana Admin")
    start = terms.add_months(utcnow() - timedelta(minutes=1), -1)
    sub = make_subscription(user, make_customer(user.reseller), at=start, billing_type="monthly", **kw)
    sub.auto_renew = auto_renew
    db.session.commit()
    return user, sub


def term_ends_and_run() -> int:
    made = renewals.create_term_ends(utcnow())
    db.session.commit()
    run_due_imports()
    db.session.expire_all()
    return made


def test_an_auto_renewing_subscription_renews_once_at_the_new_price_with_a_new_window():
    user, sub = ended_subscription()
    old_end = sub.term_end
    sub.product.price = Decimal("9.00")  # the price of the renewal day; the old one was protected until now
    db.session.commit()
    assert term_ends_and_run() == 1
    assert renewals.create_term_ends(utcnow()) == 0  # once per subscription and term
    sub = db.session.get(Subscription, sub.id)
    assert sub.status is SubscriptionStatus.ACTIVE and sub.term_start == old_end
    assert sub.term_end == terms.add_months(old_end, 1) and sub.unit_price == Decimal("9.00")
    assert sub.cancellable_until == old_end + timedelta(days=7) and sub.price_protected_until == sub.term_end
    renewal = db.session.scalars(sa.select(Charge).where(Charge.subscription_id == sub.id,
                                                         Charge.kind == ChargeKind.RENEWAL)).one()
    assert renewal.amount == Decimal("27.00")  # 3 seats x 9.00 for the month
    assert [lot.quantity for lot in timeline.current_lots(sub)] == [3]
    assert SubscriptionEventKind.RENEWED in [e.kind for e in timeline.events(sub.id)]
    imp = db.session.scalars(sa.select(Import).where(Import.source == ImportSource.SCHEDULED_CHANGE)).one()
    assert imp.status is ImportStatus.COMPLETED and imp.created_by_id == user.id
    assert db.session.scalars(sa.select(OutboxEmail.subject)).all() == [f"Subscription {sub.name} renewed"]


def test_a_subscription_without_auto_renew_expires():
    _user, sub = ended_subscription(auto_renew=False)
    term_ends_and_run()
    sub = db.session.get(Subscription, sub.id)
    assert sub.status is SubscriptionStatus.EXPIRED
    assert SubscriptionEventKind.EXPIRED in [e.kind for e in timeline.events(sub.id)]


def test_a_renewal_after_auto_renew_was_turned_off_fails_with_the_reason_and_the_next_run_expires_it():
    user, sub = ended_subscription()
    renewals.create_term_ends(utcnow())
    db.session.commit()
    actions.set_auto_renew(db.session.get(Subscription, sub.id), user, False, 0)  # races the renewal: first
    db.session.commit()
    run_due_imports()
    db.session.expire_all()
    renew = db.session.scalars(sa.select(Import).where(Import.source == ImportSource.SCHEDULED_CHANGE)).one()
    assert renew.status is ImportStatus.FAILED and "Auto-renew was turned off" in renew.items[0].reasons[0]
    assert db.session.get(Subscription, sub.id).status is SubscriptionStatus.ACTIVE
    term_ends_and_run()  # the next run of the job: the term's expiry
    assert db.session.get(Subscription, sub.id).status is SubscriptionStatus.EXPIRED


def test_a_scheduled_quantity_and_billing_type_apply_at_the_renewal():
    user, sub = ended_subscription()
    sub.product.billing_types = ["monthly", "P1Y-monthly"]
    db.session.commit()
    for kind, values in ((kinds_change.QUANTITY, {"quantity": 1}),
                         (kinds_renewal.BILLING_TYPE, {"billing_type": "P1Y-monthly"})):
        imp = actions.request_change(db.session.get(Subscription, sub.id), user, kind, token=None, shown_version=None,
                                     at_renewal=True, **values)
        assert imp.source is ImportSource.SCHEDULED_CHANGE
        db.session.commit()
        run_due_imports()  # due now: the term ends in less than an hour
        db.session.expire_all()
    assert db.session.get(Subscription, sub.id).config["renewal"] == {"quantity": 1, "billing_type": "P1Y-monthly"}
    term_ends_and_run()
    sub = db.session.get(Subscription, sub.id)
    assert (sub.quantity, sub.billing_type) == (1, "P1Y-monthly") and "renewal" not in sub.config
    assert sub.term_end == terms.add_months(sub.term_start, 12)


def test_scheduled_changes_are_listed_and_cancellable_in_my_imports(client, login):
    user = make_user()
    sub = make_subscription(user, make_customer(user.reseller))
    imp = actions.request_change(sub, user, kinds_change.QUANTITY, token=None, shown_version=None, quantity=5,
                                 run_at=utcnow() + timedelta(days=3))
    db.session.commit()
    login(user)
    body = client.get("/imports/").get_data(as_text=True)
    assert "Scheduled change" in body and imp.name in body
    imports.cancel_import(user.reseller_id, imp.id, user)
    db.session.commit()
    assert actions.scheduled_changes(sub.id) == []


def test_reminders_go_once_before_renewal_and_before_the_window_closes(app):
    user = make_user(name="Ana Admin")
    customer = make_customer(user.reseller)
    renewing = make_subscription(user, customer, at=terms.add_months(utcnow() + timedelta(days=5), -1),
                                 billing_type="monthly")
    closing = make_subscription(user, customer, at=utcnow() - timedelta(days=6, hours=12))
    now = utcnow()
    assert renewals.send_reminders(now) == 2  # the renewal in 5 days (the 7-day one) and the closing window
    db.session.commit()
    assert renewals.send_reminders(now) == 0
    subjects = sorted(db.session.scalars(sa.select(OutboxEmail.subject)))
    assert subjects == sorted([f"Subscription {renewing.name} renews on {renewing.term_end:%Y-%m-%d %H:%M} UTC",
                               f"The cancellation window of {closing.name} closes within 24 hours"])
    assert renewals.send_reminders(now + timedelta(days=4, hours=1)) == 1  # the 1-day one, once


def test_one_resellers_term_ends_in_the_same_second_share_one_import_and_one_email_each_outcome():
    user = make_user(name="Ana Admin")
    customer = make_customer(user.reseller)
    start = terms.add_months(utcnow().replace(microsecond=0) - timedelta(minutes=1), -1)
    subs = [make_subscription(user, customer, at=start, billing_type="monthly") for _ in range(3)]
    subs[2].auto_renew = False
    db.session.commit()
    assert term_ends_and_run() == 3
    imps = db.session.scalars(sa.select(Import).where(Import.source == ImportSource.SCHEDULED_CHANGE)
                              .order_by(Import.id)).all()
    assert [(imp.status, len(imp.items)) for imp in imps] == [(ImportStatus.COMPLETED, 2),
                                                              (ImportStatus.COMPLETED, 1)]
    assert [db.session.get(Subscription, s.id).status for s in subs] == [SubscriptionStatus.ACTIVE] * 2 + [
        SubscriptionStatus.EXPIRED]
    emails = db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert [e.subject for e in emails] == ["2 subscriptions renewed", f"Subscription {subs[2].name} expired"]
    assert all(f"/subscriptions/{s.id}" in emails[0].body_text for s in subs[:2])
    assert (emails[0].related_type, emails[1].related_type) == ("Import", "Subscription")


def test_a_subscription_due_after_its_group_was_made_gets_an_import_of_its_own_once():
    user, sub = ended_subscription()
    old_end = sub.term_end
    other = make_subscription(user, make_customer(user.reseller), at=sub.term_start, billing_type="monthly",
                              status=SubscriptionStatus.SUSPENDED)
    assert renewals.create_term_ends(utcnow()) == 2  # sub's renewal, other's expiry (suspended: terms.py)
    db.session.commit()
    db.session.get(Subscription, other.id).status = SubscriptionStatus.ACTIVE  # reactivated before the term end
    db.session.commit()
    assert renewals.create_term_ends(utcnow()) == 1  # its own import: the group's exists already
    assert renewals.create_term_ends(utcnow()) == 0
    db.session.commit()
    run_due_imports()
    db.session.expire_all()
    assert {db.session.get(Subscription, s.id).term_start for s in (sub, other)} == {old_end}


def test_a_suspended_subscription_expires_at_its_term_end_and_the_email_says_it_was_suspended():
    _user, sub = ended_subscription(status=SubscriptionStatus.SUSPENDED)
    assert term_ends_and_run() == 1
    assert db.session.get(Subscription, sub.id).status is SubscriptionStatus.EXPIRED
    email = db.session.scalars(sa.select(OutboxEmail)).one()
    assert email.subject == f"Subscription {sub.name} expired" and "was suspended at its term end" in email.body_text
    assert not db.session.scalars(sa.select(Charge).where(Charge.kind == ChargeKind.RENEWAL)).all()


def test_a_subscription_reactivated_before_its_term_end_renews_after_all():
    _user, sub = ended_subscription(status=SubscriptionStatus.SUSPENDED)
    renewals.create_term_ends(utcnow())
    db.session.get(Subscription, sub.id).status = SubscriptionStatus.ACTIVE  # reactivated meanwhile
    db.session.commit()
    run_due_imports()  # the expiry fails: it renews instead
    assert term_ends_and_run() == 1
    sub = db.session.get(Subscription, sub.id)
    assert sub.status is SubscriptionStatus.ACTIVE and sub.version > 0


def test_a_failed_renewal_can_be_retried_and_renews_then():
    user, sub = ended_subscription()
    known = sub.external_id
    sub.external_id = ""  # the vendor does not know it: the renewal fails
    db.session.commit()
    term_ends_and_run()
    imp = db.session.scalars(sa.select(Import).where(Import.source == ImportSource.SCHEDULED_CHANGE)).one()
    assert imp.status is ImportStatus.FAILED and "vendor does not know" in imp.items[0].reasons[0]
    db.session.get(Subscription, sub.id).external_id = known
    db.session.commit()
    imports.retry_import(user.reseller_id, imp.id, user)
    db.session.commit()
    run_jobs("default")
    db.session.expire_all()
    assert db.session.get(Import, imp.id).status is ImportStatus.COMPLETED
    assert db.session.get(Subscription, sub.id).version > 0  # renewed


def test_terms_ending_within_the_same_second_run_when_the_last_of_them_has_ended():
    user = make_user()
    customer = make_customer(user.reseller)
    second = utcnow().replace(microsecond=0) - timedelta(minutes=1)
    subs = [make_subscription(user, customer, at=terms.add_months(second.replace(microsecond=us), -1),
                              billing_type="monthly") for us in (100, 900_000)]
    assert term_ends_and_run() == 2
    imp = db.session.scalars(sa.select(Import).where(Import.source == ImportSource.SCHEDULED_CHANGE)).one()
    assert imp.run_at == second.replace(microsecond=900_000) and imp.status is ImportStatus.COMPLETED
    assert all(db.session.get(Subscription, s.id).version > 0 for s in subs)
