"""Subscription fees: each active subscription's fee for the billing period it is in, written once.

write_due_fees(at) writes, for every ACTIVE subscription whose term contains `at`, the fee of the billing period
containing `at` (services.subscriptions.terms: monthly, or the year up front), at the subscription's unit price
(its protected price; a renewal sets the new one) and quantity, dated the period's start. The charge's
idempotency key ("fee-<subscription>-<period start>") makes a second run, or a run after a crash, write nothing
twice, so the job runs hourly (jobs/billing.py) and once more in the monthly close, for the last moment of the
month. A period is written by the first run inside it; the first period of a new term is marked RENEWAL.

Set-based: subscriptions are read a chunk at a time in id order, and each chunk's fees are one INSERT … SELECT
from a JSON parameter (models.json_rows) with ON CONFLICT DO NOTHING.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from models import Charge, ChargeKind, Subscription, SubscriptionStatus, db
from models.billing import FEE_KINDS
from models.json_rows import JsonRows
from services.billing.ledger import fee_key
from services.subscriptions import terms

CHUNK = 5000
FEE_COLUMNS = ("reseller_id", "customer_id", "subscription_id", "kind", "description", "quantity", "unit_price",
               "amount", "cost", "currency", "period_start", "period_end", "occurred_at", "covers_until",
               "idempotency_key")
_FEES = JsonRows(*(Charge.__table__.c[name] for name in FEE_COLUMNS))
FIRST_TERM_SLACK = timedelta(days=1)  # a term starting this long after creation is a renewed one


def write_due_fees(at: datetime) -> int:
    """Write the due fees for the moment `at` (flushed, not committed); how many were new."""
    written, after = 0, 0
    while True:
        rows = list(db.session.execute(_due_subscriptions(at, after)))
        if not rows:
            return written
        written += _insert([_fee(row, at) for row in rows])
        after = rows[-1].id


def _due_subscriptions(at: datetime, after: int) -> sa.Select:
    return (sa.select(Subscription.id, Subscription.reseller_id, Subscription.customer_id, Subscription.name,
                      Subscription.quantity, Subscription.unit_price, Subscription.unit_cost, Subscription.currency,
                      Subscription.billing_type, Subscription.term_start, Subscription.created_at)
            .where(Subscription.status == SubscriptionStatus.ACTIVE, Subscription.term_start <= at,
                   Subscription.term_end > at, Subscription.id > after, ~_billed(at))
            .order_by(Subscription.id).limit(CHUNK))


def period_at(term_start: datetime, billing_type: str, at: datetime) -> tuple[datetime, datetime]:
    """terms.period_containing for a moment inside the term, from the months elapsed (2-3 add_months, not one per
    period of the term: the close computes 200,000 of them)."""
    term = terms.term_of(billing_type)
    elapsed = (at.year - term_start.year) * 12 + at.month - term_start.month
    index = max(min(elapsed, term.months - 1), 0) // term.billing_months * term.billing_months
    start = terms.add_months(term_start, index)
    if start > at and index:
        index -= term.billing_months
        start = terms.add_months(term_start, index)
    return start, terms.add_months(term_start, min(index + term.billing_months, term.months))


def _billed(at: datetime):
    """The subscription has the fee of the period `at` is in already (the hourly runs make this the usual case)."""
    return (sa.exists().where(Charge.subscription_id == Subscription.id, Charge.kind.in_(FEE_KINDS),
                              Charge.occurred_at <= at, Charge.covers_until > at))


def _fee(row: sa.Row, at: datetime) -> dict:
    start, end = period_at(row.term_start, row.billing_type, at)
    renewal = start == row.term_start and row.term_start > row.created_at + FIRST_TERM_SLACK
    return {"reseller_id": row.reseller_id, "customer_id": row.customer_id, "subscription_id": row.id,
            "kind": ChargeKind.RENEWAL if renewal else ChargeKind.SUBSCRIPTION_FEE, "description": row.name,
            "quantity": row.quantity, "unit_price": row.unit_price,
            "amount": terms.period_fee(row.unit_price, row.quantity, row.billing_type),
            "cost": terms.period_fee(row.unit_cost, row.quantity, row.billing_type), "currency": row.currency,
            "period_start": start.date(), "period_end": end.date(), "occurred_at": start, "covers_until": end,
            "idempotency_key": fee_key(row.id, start)}


def _insert(fees: list[dict]) -> int:
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    # SQLite reads "SELECT … ON CONFLICT" ambiguously without a WHERE: the `true` is for it.
    source = sa.select(_FEES.table()).where(sa.true())
    stmt = (insert(Charge.__table__).from_select(list(FEE_COLUMNS), source)
            .on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(Charge.__table__.c.id))
    return len(db.session.execute(stmt, {"rows": _FEES.param(fees)}).all())
