"""Billing jobs (periodic, jobs/schedule.py): the hourly subscription fees and the monthly close.

Both are safe to run twice or after a crash: fees are unique per subscription and period, statements per
reseller and month, and each run is one transaction.
"""
from __future__ import annotations

from models import db, utcnow
from services.billing import fees, statements


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
