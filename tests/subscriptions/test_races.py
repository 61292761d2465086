"""Races on one subscription (SQLite and PostgreSQL: TEST_DATABASE_URL): a cancellation and a seat change asked for
at once, a renewal and a cancellation at once. One wins; the other is told; nothing else changes."""
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from jobs.provisioning import run_due_imports
from models import ImportItem, Subscription, SubscriptionStatus, User, db, utcnow
from services.imports import imports
from services.subscriptions import actions, kinds_change, renewals, terms
from services.subscriptions.changes import ChangeRefused
from tests.factories import make_customer, make_user
from tests.subscriptions import make_subscription

pytestmark = pytest.mark.usefixtures("app")


def in_threads(app, *functions) -> None:
    start = threading.Barrier(len(functions))

    def wrap(function):
        def run():
            with app.app_context():
                start.wait()
                function()
        return run

    threads = [threading.Thread(target=wrap(f)) for f in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)


def ask(app, user_id: int, sub_id: int, kind: str, result: dict, **kw):
    def go():
        sub, user = db.session.get(Subscription, sub_id), db.session.get(User, user_id)
        try:
            imp = actions.request_change(sub, user, kind, token=None, shown_version=0, **kw)
            db.session.commit()
            done, reasons = actions.outcome(actions.run_now(imp.id))
            result[kind] = "won" if done else f"failed: {reasons}"
        except ChangeRefused as exc:
            db.session.rollback()
            result[kind] = f"refused: {exc}"
    return go


def test_cancel_and_seat_change_racing_one_wins_the_other_is_told(app):
    outcomes = set()
    for _ in range(15):
        user = make_user()
        sub = make_subscription(user, make_customer(user.reseller), at=utcnow() - timedelta(days=1))
        result: dict = {}
        in_threads(app, ask(app, user.id, sub.id, kinds_change.CANCEL, result),
                   ask(app, user.id, sub.id, kinds_change.QUANTITY, result, quantity=5))
        db.session.expire_all()
        sub = db.session.get(Subscription, sub.id)
        winners = [kind for kind, outcome in result.items() if outcome == "won"]
        assert len(winners) == 1, result
        loser = next(outcome for outcome in result.values() if outcome != "won")
        assert "changed" in loser or "CANCELLED" in loser
        if winners == [kinds_change.CANCEL]:
            assert (sub.status, sub.quantity) == (SubscriptionStatus.CANCELLED, 3)
        else:
            assert (sub.status, sub.quantity) == (SubscriptionStatus.ACTIVE, 5)
        outcomes.add(winners[0])
    assert outcomes  # (which wins is up to the scheduler)


def test_a_renewal_racing_a_cancellation_never_both_apply(app):
    for _ in range(10):
        user = make_user()
        start = terms.add_months(utcnow() - timedelta(minutes=1), -1)
        # A term that ended while its window is still open (as a P1M term of 7 days would): both are possible.
        sub = make_subscription(user, make_customer(user.reseller), at=start, billing_type="monthly",
                                cancellable_until=utcnow() + timedelta(days=1))
        renewals.create_term_ends(utcnow())
        db.session.commit()
        result: dict = {}

        def renew(result=result):
            try:
                run_due_imports()
            except Exception as exc:  # the loser's batch is rolled back and its lease ended: the sweep reruns it
                db.session.rollback()
                result["renew_error"] = type(exc).__name__

        in_threads(app, renew, ask(app, user.id, sub.id, kinds_change.CANCEL, result))
        imports.recover_expired_leases(utcnow() + timedelta(minutes=5))  # as the sweep would
        db.session.commit()
        run_due_imports()
        db.session.expire_all()
        sub = db.session.get(Subscription, sub.id)
        renewed = sub.term_start != start
        cancelled = sub.status is SubscriptionStatus.CANCELLED
        assert renewed != cancelled, (result, sub.status, sub.term_start)
        assert (result[kinds_change.CANCEL] == "won") == cancelled


def test_two_term_end_runs_at_once_make_one_item_per_subscription(app):
    user = make_user()
    customer = make_customer(user.reseller)
    start = terms.add_months(utcnow().replace(microsecond=0) - timedelta(minutes=1), -1)
    subs = [make_subscription(user, customer, at=start, billing_type="monthly") for _ in range(3)]
    made: list[int] = []

    def run():
        made.append(renewals.create_term_ends(utcnow()))
        db.session.commit()

    in_threads(app, run, run)
    items = db.session.scalars(sa.select(ImportItem.subscription_id)).all()
    assert sorted(items) == sorted(s.id for s in subs) and sorted(made) == [0, 3]
