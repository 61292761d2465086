"""Property tests (hypothesis): random charges and credits over months always close into balanced statements,
and random seat changes and cancellations never credit more than was charged."""
from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Charge, ChargeKind, Statement, SubscriptionStatus, db
from services.billing import fees, ledger, statements
from services.subscriptions import terms
from tests.billing import at, make_subscription
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("app")
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
MONTHS = ("2026-01", "2026-02", "2026-03")

charge_events = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(1, 28), st.integers(0, 23),
                                   st.integers(-20_000, 100_000)), min_size=1, max_size=30)


@PROPERTY
@given(events=charge_events, rate=st.sampled_from(["0", "0.22", "0.105", "0.19"]))
def test_every_statement_balances(app, events, rate):
    app.config["TAX_RATE"] = rate
    resellers = [make_user().reseller_id for _ in range(3)]
    for n, (who, month, day, hour, cents) in enumerate(events):
        amount = Decimal(cents) / 100
        kind = ChargeKind.SUBSCRIPTION_FEE if amount >= 0 else ChargeKind.ADJUSTMENT
        ledger.record_charge(reseller_id=resellers[who], kind=kind, description="x", quantity=1, unit_price=abs(amount),
                             amount=amount, currency="USD", idempotency_key=f"p-{resellers[0]}-{n}",
                             occurred_at=at(f"{MONTHS[month]}-{day:02d} {hour:02d}:00"))
    for period in MONTHS:
        statements.close_month(period)
    db.session.commit()
    mine = sa.select(Statement).where(Statement.reseller_id.in_(resellers))
    for statement in db.session.scalars(mine):
        lines = statements.statement_lines(statement, page=None)
        assert statement.line_count == len(lines) > 0
        assert statement.subtotal == sum((line.amount for line in lines), Decimal("0"))
        tax = (statement.subtotal * Decimal(rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        assert statement.tax == tax and statement.total == statement.subtotal + tax
        start, end = statements.period_bounds(statement.period)
        assert all(start <= line.occurred_at < end for line in lines)
    unclosed = sa.select(sa.func.count()).where(Charge.reseller_id.in_(resellers), Charge.statement_id.is_(None))
    assert db.session.scalar(unclosed) == 0


seat_ops = st.lists(st.tuples(st.sampled_from(["add", "remove", "cancel"]), st.integers(1, 24 * 40),
                              st.integers(1, 5)), min_size=1, max_size=12)


@PROPERTY
@given(ops=seat_ops, billing_type=st.sampled_from(["P1Y-monthly", "P1Y-annual", "monthly"]),
       price=st.sampled_from(["7.20", "0.01", "13.37", "99.99"]))
def test_credits_never_exceed_what_was_charged(ops, billing_type, price):
    user = make_user()
    start = at("2026-01-31 10:00")
    sub = make_subscription(user.reseller, start=start, billing_type=billing_type, quantity=3, unit_price=price)
    lots = [[terms.Seats(sub.unit_price, 3, billing_type, sub.term_start, sub.term_end, start), 3]]
    for n, (op, hours, count) in enumerate(sorted(ops, key=lambda op: op[1])):
        now = start + timedelta(hours=hours)
        if sub.status is not SubscriptionStatus.ACTIVE or now >= sub.term_end:
            break
        fees.write_due_fees(now)
        if op == "add":
            lot = terms.Seats(sub.unit_price, count, billing_type, sub.term_start, sub.term_end, now)
            ledger.charge_seats_added(sub, lot, key=f"{sub.id}-{n}")
            lots.append([lot, count])
            sub.quantity += count
        elif op == "remove":
            lot = lots[count % len(lots)]
            removable = min(lot[1], sub.quantity - 1)
            if now < terms.window_end(lot[0].since) and removable > 0 and lot is not lots[0]:
                removed = terms.Seats(lot[0].unit_price, removable, billing_type, sub.term_start, sub.term_end,
                                      lot[0].since)
                ledger.credit_seats_removed(sub, removed, now, key=f"{sub.id}-{n}")
                lot[1] -= removable
                sub.quantity -= removable
        elif now < terms.window_end(start):
            remaining = [terms.Seats(lot.unit_price, left, billing_type, lot.term_start, lot.term_end, lot.since)
                         for lot, left in lots if left]
            ledger.credit_cancellation(sub, remaining, now, key=f"{sub.id}-{n}")
            sub.status = SubscriptionStatus.CANCELLED
        credited, charged = ledger.credited_and_charged(sub.id)
        assert Decimal(0) <= credited <= charged
    db.session.rollback()
