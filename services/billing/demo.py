"""Billing demo data (services.demo.seed calls it after the demo subscriptions; safe to run again).

What a portal that had been running would show: every month since the first demo subscription began is closed, in
order, as the job on the 1st would have done (each close writes the month's due fees first, so the subscriptions'
monthly and annual fees land on their months' statements and the statement e-mails are queued), and this month's
fees so far are written, the running charges of the Billing page. Idempotent like the close itself: a closed month
gets no second statement and a fee is written once (its idempotency key).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from models import Subscription, db, utcnow
from services.billing import fees, statements


def seed_billing(now: datetime | None = None) -> list[int]:
    """Close the months since the first demo subscription and write this month's fees; the new statements' ids."""
    now = now or utcnow()
    first = db.session.scalar(sa.select(sa.func.min(Subscription.term_start))
                              .where(Subscription.external_id.like("demo-%")))
    if first is None:
        return []
    made, period, last = [], statements.period_of(first), statements.previous_period(now)
    while period <= last:
        made += statements.close_month(period)
        period = statements.next_period(period)
    fees.write_due_fees(now)
    return made
