"""The charges ledger: the one way to write what a reseller pays (issue 22).

Call these inside the transaction of the event they bill (the approval, the seat change, the cancellation):
they flush, never commit, so the charge and its event are written together or not at all. A charge is never
edited; a correction is a new row (a credit: a negative amount).

- record_charge(...): the general entry point; every other writer goes through it.
- charge_order(order): an approved ESD order's lines (services.orders.orders.approve_order calls it).
- charge_subscription_fee(subscription, period_start, period_end): one billing period's fee at the
  subscription's protected unit price (the fees job, services.billing.fees, writes the due ones).
- charge_seats_added(subscription, seats, key=...): seats added mid-period, prorated to the period's end.
- credit_cancellation(subscription, seats, at, key=...) / credit_seats_removed(...): prorated credits.

Seats are services.subscriptions.terms.Seats (price, quantity, term and since when), and the amounts are its
proration (terms.py documents the rule: days of the term in UTC, half up to cents per line).

Idempotency: each writer passes an `idempotency_key` (unique in the table): writing the same event twice (a
retried job, a double submit that got past its guard) writes one charge; the second call returns None.
Credits never exceed charges: a credit that would take a subscription's credits above what was charged for it
is refused (LedgerError), and credited_and_charged() lets anyone check it.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite

from models import Charge, ChargeKind, Order, Subscription, db, utcnow
from models.billing import CREDIT_KINDS, FEE_KINDS
from services import DomainError
from services.subscriptions import terms

CENT = Decimal("0.01")


class LedgerError(DomainError):
    pass


def cents(amount: Decimal) -> Decimal:
    """Half up to the cent: the rule for every line (Decimal's ROUND_HALF_UP rounds -0.005 to -0.01)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def record_charge(*, reseller_id: int, kind: ChargeKind, description: str, quantity: int, unit_price: Decimal,
                  amount: Decimal, currency: str, idempotency_key: str, cost: Decimal = Decimal("0"),
                  customer_id: int | None = None, subscription_id: int | None = None, order_id: int | None = None,
                  order_line_id: int | None = None, period_start: date | None = None,
                  period_end: date | None = None, occurred_at: datetime | None = None,
                  covers_until: datetime | None = None) -> int | None:
    """Write one charge (flushed, not committed); its id, or None when `idempotency_key` was written before.

    A credit kind takes a negative (or zero) amount, every other kind but ADJUSTMENT a positive (or zero) one.
    """
    amount, cost = cents(Decimal(amount)), cents(Decimal(cost))
    credit, either = kind in CREDIT_KINDS, kind == ChargeKind.ADJUSTMENT
    if (credit and amount > 0) or (not credit and not either and amount < 0):
        raise LedgerError(_("A credit is a negative amount and a charge a positive one. Nothing was written."))
    values = {"reseller_id": reseller_id, "kind": kind, "description": description[:255], "quantity": quantity,
              "unit_price": cents(Decimal(unit_price)), "amount": amount, "cost": cost, "currency": currency,
              "customer_id": customer_id, "subscription_id": subscription_id, "order_id": order_id,
              "order_line_id": order_line_id, "period_start": period_start, "period_end": period_end,
              "occurred_at": occurred_at or utcnow(), "covers_until": covers_until, "idempotency_key": idempotency_key}
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]
    stmt = insert(Charge).values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    return db.session.scalar(stmt.returning(Charge.id))


def charge_order(order: Order) -> int:
    """One charge per line of an approved ESD order, at the prices frozen on the order; how many were written."""
    written = 0
    for line in order.lines:
        written += record_charge(
            reseller_id=order.reseller_id, kind=ChargeKind.ESD_ORDER_LINE, order_id=order.id, order_line_id=line.id,
            description=f"{line.product_name} ({line.sku}), order {order.number}", quantity=line.quantity,
            unit_price=line.unit_price, amount=line.unit_price * line.quantity, cost=line.product.cost * line.quantity,
            currency=order.currency, occurred_at=order.decided_at, idempotency_key=f"order-line-{line.id}",
        ) is not None
    return written


def _subscription_charge(subscription: Subscription, kind: ChargeKind, *, quantity: int, amount: Decimal,
                         cost: Decimal, start: datetime, end: datetime, at: datetime, key: str,
                         unit_price: Decimal | None = None) -> int | None:
    return record_charge(
        reseller_id=subscription.reseller_id, customer_id=subscription.customer_id, subscription_id=subscription.id,
        kind=kind, description=subscription.name, quantity=quantity,
        unit_price=subscription.unit_price if unit_price is None else unit_price, amount=amount, cost=cost,
        currency=subscription.currency, period_start=start.date(), period_end=end.date(), occurred_at=at,
        covers_until=end if kind in FEE_KINDS else None, idempotency_key=key)


def fee_key(subscription_id: int, period_start: datetime) -> str:
    return f"fee-{subscription_id}-{int(period_start.timestamp())}"


def charge_subscription_fee(subscription: Subscription, period_start: datetime, period_end: datetime,
                            kind: ChargeKind = ChargeKind.SUBSCRIPTION_FEE) -> int | None:
    """The full fee of one billing period at the subscription's unit price, dated the period's start."""
    fee = terms.period_fee(subscription.unit_price, subscription.quantity, subscription.billing_type)
    cost = terms.period_fee(subscription.unit_cost, subscription.quantity, subscription.billing_type)
    return _subscription_charge(subscription, kind, quantity=subscription.quantity, amount=fee, cost=cost,
                                start=period_start, end=period_end, at=period_start,
                                key=fee_key(subscription.id, period_start))


def charge_seats_added(subscription: Subscription, seats: terms.Seats, *, key: str,
                       unit_cost: Decimal | None = None) -> int | None:
    """Seats added at `seats.since`: the rest of the billing period they join, prorated (terms.Seats)."""
    _start, end = terms.period_containing(seats.term_start, seats.billing_type, seats.since)
    amount = seats.charge_at_adding()
    cost = _cost_of(seats, subscription.unit_cost if unit_cost is None else unit_cost).charge_at_adding()
    return _subscription_charge(subscription, ChargeKind.SEATS_ADDED, quantity=seats.quantity, amount=amount,
                                cost=cost, start=seats.since, end=end, at=seats.since, key=f"seats-added-{key}",
                                unit_price=seats.unit_price)


def credit_cancellation(subscription: Subscription, seats: list[terms.Seats], at: datetime, *, key: str) -> int | None:
    """A cancellation at `at` within the window: each lot's credit (charged minus the days used), negative."""
    return _credit(subscription, ChargeKind.CREDIT_CANCELLATION, seats, at, key=f"credit-cancel-{key}")


def credit_seats_removed(subscription: Subscription, seats: terms.Seats, at: datetime, *, key: str) -> int | None:
    """Seats removed at `at` within their window (`seats`: the removed ones of their lot), negative."""
    return _credit(subscription, ChargeKind.CREDIT_SEATS_REMOVED, [seats], at, key=f"credit-seats-{key}")


def _credit(subscription: Subscription, kind: ChargeKind, seats: list[terms.Seats], at: datetime, *,
            key: str) -> int | None:
    if db.session.scalar(sa.select(Charge.id).where(Charge.idempotency_key == key)) is not None:
        return None  # the same event again: already credited (and not to be refused by the guard below)
    credit = sum((lot.credit_at(at) for lot in seats), Decimal("0"))
    cost = sum((_cost_of(lot, subscription.unit_cost).credit_at(at) for lot in seats), Decimal("0"))
    credited, charged = credited_and_charged(subscription.id)
    if credited + credit > charged:
        raise LedgerError(_("This credit would be more than was charged for the subscription. Nothing was written."))
    _start, end = terms.period_containing(seats[0].term_start, seats[0].billing_type, at)
    return _subscription_charge(subscription, kind, quantity=sum(lot.quantity for lot in seats), amount=-credit,
                                cost=-cost, start=at, end=end, at=at, key=key)


def _cost_of(seats: terms.Seats, unit_cost: Decimal) -> terms.Seats:
    """The same seats at the distributor's cost, for the margin staff see."""
    return terms.Seats(unit_cost, seats.quantity, seats.billing_type, seats.term_start, seats.term_end, seats.since)


def credited_and_charged(subscription_id: int) -> tuple[Decimal, Decimal]:
    """(credits as a positive sum, charges) of a subscription so far: credits never exceed charges."""
    is_credit = Charge.kind.in_(CREDIT_KINDS)
    credited, charged = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(sa.case((is_credit, -Charge.amount), else_=0)), 0),
                  sa.func.coalesce(sa.func.sum(sa.case((is_credit, 0), else_=Charge.amount)), 0))
        .where(Charge.subscription_id == subscription_id)).one()
    return cents(Decimal(str(credited))), cents(Decimal(str(charged)))


KIND_LABELS = {
    ChargeKind.ESD_ORDER_LINE: _l("ESD order"), ChargeKind.SUBSCRIPTION_FEE: _l("Subscription fee"),
    ChargeKind.SEATS_ADDED: _l("Seats added"), ChargeKind.CREDIT_CANCELLATION: _l("Credit: cancellation"),
    ChargeKind.CREDIT_SEATS_REMOVED: _l("Credit: seats removed"), ChargeKind.RENEWAL: _l("Renewal"),
    ChargeKind.ADJUSTMENT: _l("Adjustment"),
}
