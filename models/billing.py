"""Billing: the charges ledger and the monthly statements (issue 22).

A Charge is one billable event, written in the same transaction as the event (services/billing/ledger.py) and
never edited afterwards: a correction is a new row (a credit is a negative amount). The one column written later
is `statement_id`, set once when the monthly close puts the charge on a statement (services/billing/statements.py):
a statement takes every charge of its reseller not yet on a statement that occurred before the end of its month,
so a charge that commits after its month was closed lands on the next statement, never on a closed one.

A Statement is one per reseller and month (unique), its lines are its charges, and its subtotal is their exact
sum; the tax is computed once on the subtotal, rounded half up to the cent (services/billing/statements.py).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts import Reseller
from models.base import TimestampMixin, db, intpk, money, str255, utcnow
from models.customers import Customer
from models.types import enum_column


class ChargeKind(StrEnum):
    ESD_ORDER_LINE = "esd_order_line"              # an approved order's line
    SUBSCRIPTION_FEE = "subscription_fee"          # a subscription's fee for one billing period
    SEATS_ADDED = "seats_added"                    # seats added mid-period, prorated to the period's end
    CREDIT_CANCELLATION = "credit_cancellation"    # a cancellation within the window, prorated (negative)
    CREDIT_SEATS_REMOVED = "credit_seats_removed"  # a seat decrease within the window, prorated (negative)
    RENEWAL = "renewal"                            # the first fee of a renewed term, at the renewal day's price
    ADJUSTMENT = "adjustment"                      # a correction by staff


CREDIT_KINDS = (ChargeKind.CREDIT_CANCELLATION, ChargeKind.CREDIT_SEATS_REMOVED)
FEE_KINDS = (ChargeKind.SUBSCRIPTION_FEE, ChargeKind.RENEWAL)


class Charge(db.Model):
    id: Mapped[intpk]
    reseller_id: Mapped[int] = mapped_column(sa.ForeignKey("reseller.id"))
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id"))
    subscription_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subscription.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order.id"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order_line.id"))
    kind: Mapped[ChargeKind] = enum_column(ChargeKind)
    description: Mapped[str255]
    quantity: Mapped[int]
    unit_price: Mapped[money]  # the reseller price of one unit for the whole period (before proration)
    amount: Mapped[money]      # what the reseller pays: negative for a credit; rounded half up to the cent
    cost: Mapped[money] = mapped_column(default=Decimal("0"))  # the distributor's cost of it: staff only
    currency: Mapped[str] = mapped_column(sa.String(3))
    period_start: Mapped[date | None] = mapped_column(sa.Date)  # the days it pays for: [start, end)
    period_end: Mapped[date | None] = mapped_column(sa.Date)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A fee's period end as a moment (period_end is its day): the fees job skips subscriptions billed up to now.
    covers_until: Mapped[datetime | None]
    # Makes writing the same event twice a no-op: "fee-<subscription>-<period start>", "order-line-<id>", ...
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    statement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("statement.id"))

    customer: Mapped[Customer | None] = relationship()

    __table_args__ = (
        # The close's "not on a statement yet, before the month's end" and the running month's charges: a partial
        # index, so putting a charge on its statement removes it here instead of writing one more entry.
        sa.Index("ix_charge_open", "reseller_id", "occurred_at", postgresql_where=sa.text("statement_id IS NULL"),
                 sqlite_where=sa.text("statement_id IS NULL")),
        sa.Index("ix_charge_statement", "statement_id"),
    )

    @property
    def is_credit(self) -> bool:
        return self.amount < 0


class Statement(TimestampMixin, db.Model):
    id: Mapped[intpk]
    reseller_id: Mapped[int] = mapped_column(sa.ForeignKey("reseller.id"))
    period: Mapped[str] = mapped_column(sa.String(7))  # "2026-11"
    currency: Mapped[str] = mapped_column(sa.String(3))
    line_count: Mapped[int] = mapped_column(default=0)
    subtotal: Mapped[money] = mapped_column(default=Decimal("0"))
    tax_rate: Mapped[Decimal] = mapped_column(sa.Numeric(6, 4))
    tax: Mapped[money] = mapped_column(default=Decimal("0"))
    total: Mapped[money] = mapped_column(default=Decimal("0"))
    cost: Mapped[money] = mapped_column(default=Decimal("0"))  # the distributor's cost of its lines: staff only

    reseller: Mapped[Reseller] = relationship()

    __table_args__ = (sa.UniqueConstraint("reseller_id", "period", name="uq_statement_reseller_period"),
                      sa.Index("ix_statement_period", "period", "reseller_id"))

    @property
    def number(self) -> str:
        """What people read and quote: ST-2026-11-000123 (the id makes it unique and sequential)."""
        return statement_number(self.period, self.id)

    @property
    def margin(self) -> Decimal:
        return self.subtotal - self.cost


def statement_number(period: str, statement_id: int) -> str:
    return f"ST-{period}-{statement_id:06d}"


class ClosedMonth(db.Model):
    """A month the close has run for (services.billing.statements.close_month writes it in the close's
    transaction), with or without statements: the sweep closes a month missing here late (jobs/billing.py)."""

    period: Mapped[str] = mapped_column(sa.String(7), primary_key=True)  # "2026-11"
    closed_at: Mapped[datetime] = mapped_column(default=utcnow)
    statements: Mapped[int] = mapped_column(default=0)  # how many the close made
