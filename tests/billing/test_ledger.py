"""The charges ledger: what each event writes, idempotency, signs, and the credits-never-exceed-charges guard."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import Charge, ChargeKind, Role, SubscriptionStatus, db
from services.billing import fees, ledger
from services.orders import orders
from services.subscriptions import terms
from tests.billing import at, make_subscription
from tests.factories import make_order, make_product, make_user

pytestmark = pytest.mark.usefixtures("app")


def charges(**where) -> list[Charge]:
    return list(db.session.scalars(sa.select(Charge).filter_by(**where).order_by(Charge.id)))


def test_approving_an_order_writes_one_charge_per_line_with_its_cost():
    user = make_user()
    staff = make_user(role=Role.STAFF)
    order = make_order(user, lines=[(make_product(price=Decimal("100.00"), cost=Decimal("80.00")), 3),
                                    (make_product(price=Decimal("9.99"), cost=Decimal("5.00")), 2)])
    orders.approve_order(order, staff)
    db.session.commit()
    written = charges(order_id=order.id)
    assert [(c.kind, c.quantity, c.amount, c.cost) for c in written] == [
        (ChargeKind.ESD_ORDER_LINE, 3, Decimal("300.00"), Decimal("240.00")),
        (ChargeKind.ESD_ORDER_LINE, 2, Decimal("19.98"), Decimal("10.00"))]
    assert all(c.reseller_id == user.reseller_id and c.statement_id is None for c in written)
    assert ledger.charge_order(order) == 0  # a second time writes nothing
    assert len(charges(order_id=order.id)) == 2


def test_a_rejected_order_is_not_charged():
    user = make_user()
    staff = make_user(role=Role.STAFF)
    order = make_order(user)
    orders.reject_order(order, staff, "no stock")
    db.session.commit()
    assert charges(order_id=order.id) == []


def test_fees_are_written_once_per_period_at_the_protected_price():
    user = make_user()
    sub = make_subscription(user.reseller, start=at("2026-01-31 10:00"), quantity=3, unit_price="7.20")
    db.session.commit()
    assert fees.write_due_fees(at("2026-02-10 00:00")) == 1
    assert fees.write_due_fees(at("2026-02-27 00:00")) == 0  # same period (Jan 31 - Feb 28)
    sub.unit_price = Decimal("9.00")  # the price is what the subscription says when the next period is written
    assert fees.write_due_fees(at("2026-03-01 00:00")) == 1
    written = charges(subscription_id=sub.id)
    assert [(c.period_start.isoformat(), c.period_end.isoformat(), c.amount) for c in written] == [
        ("2026-01-31", "2026-02-28", Decimal("21.60")), ("2026-02-28", "2026-03-31", Decimal("27.00"))]
    assert written[0].occurred_at == at("2026-01-31 10:00") and written[0].cost == Decimal("18.00")


def test_annual_up_front_is_one_fee_for_the_year():
    user = make_user()
    sub = make_subscription(user.reseller, start=at("2026-03-01 00:00"), billing_type="P1Y-annual", quantity=2,
                            unit_price="10.00")
    for month in range(3, 13):
        fees.write_due_fees(at(f"2026-{month:02d}-15 00:00"))
    written = charges(subscription_id=sub.id)
    assert [(c.kind, c.amount, c.period_end.isoformat()) for c in written] == [
        (ChargeKind.SUBSCRIPTION_FEE, Decimal("240.00"), "2027-03-01")]


def test_cancelled_and_future_subscriptions_pay_no_fee():
    user = make_user()
    make_subscription(user.reseller, start=at("2026-05-01 00:00"), status=SubscriptionStatus.CANCELLED)
    make_subscription(user.reseller, start=at("2026-07-01 00:00"))
    assert fees.write_due_fees(at("2026-06-01 00:00")) == 0


def seats(sub, quantity, since):
    return terms.Seats(sub.unit_price, quantity, sub.billing_type, sub.term_start, sub.term_end, since)


def test_cancellation_on_day_three_credits_the_unused_days():
    """terms.py's example: P1Y monthly, 3 seats at 7.20, cancelled on day 3: charged 21.60, credit 19.47."""
    user = make_user()
    sub = make_subscription(user.reseller, start=at("2026-01-01 00:00"))
    fees.write_due_fees(at("2026-01-01 00:00"))
    ledger.credit_cancellation(sub, [seats(sub, 3, sub.term_start)], at("2026-01-03 12:00"), key="event-1")
    credit = charges(subscription_id=sub.id, kind=ChargeKind.CREDIT_CANCELLATION)
    assert [c.amount for c in credit] == [Decimal("-19.47")]
    assert ledger.credited_and_charged(sub.id) == (Decimal("19.47"), Decimal("21.60"))
    assert ledger.credit_cancellation(sub, [seats(sub, 3, sub.term_start)], at("2026-01-03 12:00"),
                                      key="event-1") is None  # the same event twice: one credit


def test_seats_added_mid_period_are_prorated_and_removing_them_credits_back():
    user = make_user()
    sub = make_subscription(user.reseller, start=at("2026-01-01 00:00"), quantity=3)
    fees.write_due_fees(at("2026-01-01 00:00"))
    added = seats(sub, 2, at("2026-01-16 00:00"))
    ledger.charge_seats_added(sub, added, key="event-2")
    [charge] = charges(subscription_id=sub.id, kind=ChargeKind.SEATS_ADDED)
    assert charge.amount == added.charge_at_adding() == Decimal("7.57")  # 2 x 7.20 x 12 x 16 / 365 = 7.5747
    ledger.credit_seats_removed(sub, added, at("2026-01-18 00:00"), key="event-3")
    [credit] = charges(subscription_id=sub.id, kind=ChargeKind.CREDIT_SEATS_REMOVED)
    assert credit.amount == -added.credit_at(at("2026-01-18 00:00")) < 0


def test_a_credit_larger_than_the_charges_is_refused():
    user = make_user()
    sub = make_subscription(user.reseller, start=at("2026-01-01 00:00"))
    with pytest.raises(ledger.LedgerError):  # nothing was charged yet: the fee was never written
        ledger.credit_cancellation(sub, [seats(sub, 3, sub.term_start)], at("2026-01-02 00:00"), key="x")
    assert charges(subscription_id=sub.id) == []


@pytest.mark.parametrize("kind, amount", [(ChargeKind.CREDIT_CANCELLATION, "5.00"),
                                          (ChargeKind.SUBSCRIPTION_FEE, "-5.00")])
def test_signs_are_checked(kind, amount):
    user = make_user()
    with pytest.raises(ledger.LedgerError):
        ledger.record_charge(reseller_id=user.reseller_id, kind=kind, description="x", quantity=1,
                             unit_price=Decimal("5"), amount=Decimal(amount), currency="USD", idempotency_key="k")


@pytest.mark.parametrize("billing_type", ["P1Y-monthly", "P1Y-annual", "P3Y-annual", "monthly", "one-time"])
@pytest.mark.parametrize("start", ["2024-01-31 10:00", "2026-02-28 23:59", "2026-03-31 00:00", "2027-12-15 12:00"])
def test_the_fees_jobs_period_is_terms_period(billing_type, start):
    from datetime import timedelta

    term_start = at(start)
    end = terms.term_end(term_start, billing_type)
    moment = term_start
    while moment < end:
        assert fees.period_at(term_start, billing_type, moment) == terms.period_containing(term_start, billing_type,
                                                                                            moment), moment
        moment += timedelta(hours=37)
