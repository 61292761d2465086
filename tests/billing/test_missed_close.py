"""A monthly close missed on the 1st (scheduler down) is run later by the sweep, month by month, once."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from jobs import billing as billing_jobs
from jobs.sweep import sweep
from models import Charge, ClosedMonth, Statement, db, utcnow
from queues import get_queue
from services.billing import statements
from tests.billing import adjustment, at
from tests.factories import make_user
from tests.support import run_jobs

pytestmark = pytest.mark.usefixtures("app")


def closed_periods() -> list[str]:
    return list(db.session.scalars(sa.select(ClosedMonth.period).order_by(ClosedMonth.period)))


def test_every_close_records_its_month_even_without_statements():
    assert billing_jobs.close_previous_month("2026-09") == {"period": "2026-09", "statements": 0}
    assert closed_periods() == ["2026-09"]
    assert statements.periods_to_close(at("2026-10-01 00:30")) == []
    assert statements.periods_to_close(at("2026-11-01 00:30")) == ["2026-10"]


def test_nothing_is_due_before_any_close_ran():
    assert statements.periods_to_close(at("2026-12-07 00:00")) == []
    assert not billing_jobs.enqueue_missed_closes(at("2026-12-07 00:00"))


def test_a_missed_close_is_enqueued_after_the_grace_once():
    billing_jobs.close_previous_month("2026-09")
    queue = get_queue("maintenance")
    assert not billing_jobs.enqueue_missed_closes(at("2026-12-01 00:10"))  # the scheduled close may still be running
    assert billing_jobs.enqueue_missed_closes(at("2026-12-01 00:30"))
    assert queue.job_ids == [billing_jobs.MISSED_CLOSE_JOB_ID]
    assert not billing_jobs.enqueue_missed_closes(at("2026-12-01 00:31"))  # its job is still queued
    assert queue.job_ids == [billing_jobs.MISSED_CLOSE_JOB_ID]


def test_the_catch_up_closes_the_missing_months_in_order(monkeypatch):
    user = make_user()
    now = utcnow()
    two_ago = statements.previous_period(statements.period_bounds(statements.previous_period(now))[0])
    three_ago = statements.previous_period(statements.period_bounds(two_ago)[0])
    billing_jobs.close_previous_month(three_ago)  # the last close that ran
    start_two_ago, start_one_ago = statements.period_bounds(two_ago)
    adjustment(user.reseller_id, "5.00", f"{start_two_ago:%Y-%m-%d} 10:00", "two-ago")
    adjustment(user.reseller_id, "7.00", f"{start_one_ago:%Y-%m-%d} 10:00", "one-ago")
    adjustment(user.reseller_id, "9.00", f"{statements.period_bounds(statements.period_of(now))[0]:%Y-%m-%d} 00:00",
               "this-month")
    db.session.commit()
    monkeypatch.setattr(billing_jobs, "CLOSE_GRACE", timedelta(0))  # whatever the wall clock says
    assert sweep()["missed_closes_enqueued"] == 1
    run_jobs("maintenance")
    made = {s.period: s.subtotal for s in db.session.scalars(sa.select(Statement))}
    assert made == {two_ago: 5, statements.previous_period(now): 7}  # each month its own charges
    assert closed_periods() == [three_ago, two_ago, statements.previous_period(now)]
    running = db.session.scalar(sa.select(Charge).where(Charge.idempotency_key == "this-month"))
    assert running.statement_id is None
    assert "missed_closes_enqueued" not in sweep()  # caught up: one index lookup, nothing enqueued
    assert billing_jobs.close_missed_months() == {"closed": {}}
