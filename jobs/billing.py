"""Billing jobs (periodic, jobs/schedule.py): the hourly subscription fees and the monthly close.

Both are safe to run twice or after a crash: fees are unique per subscription and period, statements per
reseller and month, and each run is one transaction.

A close missed on the 1st (the scheduler or the workers were down at 00:00) is caught by the minute sweep
(jobs/sweep.py): once CLOSE_GRACE has passed since the month began, if the last closed month (ClosedMonth, one index
lookup) is older than the previous month, it enqueues close_missed_months, which closes each missing month in
order (a month's statement takes the charges before its own end, so the order matters).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from models import db, utcnow
from queues import enqueue_unique
from services.billing import fees, statements

CLOSE_GRACE = timedelta(minutes=15)  # the scheduled close runs at 00:00; a large one takes about a minute
MISSED_CLOSE_JOB_ID = "billing-close-missed"


def write_fees() -> int:
    """The fees of the billing periods subscriptions are in now (those written already are skipped)."""
    written = fees.write_due_fees(utcnow())
    db.session.commit()
    return written


def close_previous_month(period: str | None = None) -> dict[str, object]:
    """Close the month before now (on the 1st at 00:00 UTC), or `period` ("2026-11") when given by hand."""
    period = period or statements.previous_period(utcnow())
    made = statements.close_month(period)
    db.session.commit()
    return {"period": period, "statements": len(made)}


def enqueue_missed_closes(now: datetime) -> bool:
    """For the sweep: enqueue close_missed_months if a month's close was missed; whether it did."""
    month_began = statements.period_bounds(statements.period_of(now))[0]
    if now < month_began + CLOSE_GRACE or not statements.periods_to_close(now):
        return False
    return enqueue_unique("maintenance", close_missed_months, job_id=MISSED_CLOSE_JOB_ID)


def close_missed_months() -> dict[str, object]:
    """Close every month after the last closed one up to the previous month, oldest first, each committed."""
    closed = {}
    for period in statements.periods_to_close(utcnow()):
        closed[period] = close_previous_month(period)["statements"]
    return {"closed": closed}
