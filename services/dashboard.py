"""The staff's figures: what needs attention now (the home's work list, the admin counters), this month's sales,
orders and licenses per week; and the ops home's view of the machinery (ops_status)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from models import (
    EmailStatus,
    Import,
    ImportStatus,
    License,
    LicenseStatus,
    Order,
    OrderStatus,
    OutboxEmail,
    Reseller,
    db,
    utcnow,
)

WEEKS = 13  # a quarter
DUE_SOON = timedelta(hours=24)
SHOWN = 10  # orders listed on the staff home


@dataclass(frozen=True)
class Attention:
    pending_approvals: int
    failed_imports: int
    failed_emails: int
    imports_due_soon: int


@dataclass(frozen=True)
class Week:
    start: date  # the Monday (ISO week)
    orders: int
    licenses: int


def attention(now: datetime | None = None) -> Attention:
    """The four counters, in one round trip (scalar subqueries)."""
    now = now or utcnow()

    def count(model, *where) -> sa.ScalarSelect:
        return sa.select(sa.func.count()).select_from(model).where(*where).scalar_subquery()

    row = db.session.execute(sa.select(
        count(Order, Order.status == OrderStatus.PENDING),
        count(Import, Import.status == ImportStatus.FAILED),
        count(OutboxEmail, OutboxEmail.status == EmailStatus.FAILED),
        count(Import, Import.status == ImportStatus.PENDING, Import.run_at >= now, Import.run_at <= now + DUE_SOON),
    )).one()
    return Attention(*row)


class utc_day(FunctionElement):
    """The UTC calendar day of an aware timestamp column, on SQLite (stored as naive UTC) and PostgreSQL."""

    inherit_cache = True
    type = sa.Date()


@compiles(utc_day)
def _utc_day_default(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element, compiler, **kw):
    return f"CAST(timezone('UTC', {compiler.process(element.clauses, **kw)}) AS DATE)"


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_activity(today: date | None = None, weeks: int = WEEKS) -> list[Week]:
    """Orders placed and licenses bought (units, not voided) per ISO week, oldest first, zeros included.

    One grouped query per series returns at most 7 × `weeks` (day, count) rows; weeks are summed here,
    which works the same on SQLite and PostgreSQL.
    """
    first = week_start(today or utcnow().date()) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, time.min, tzinfo=UTC)
    orders = _per_week(_daily(Order.created_at, sa.select().select_from(Order), since))
    licenses = _per_week(_daily(License.created_at, sa.select().select_from(License)
                                .where(License.status != LicenseStatus.VOID), since))
    starts = [first + timedelta(weeks=n) for n in range(weeks)]
    return [Week(start, orders.get(start, 0), licenses.get(start, 0)) for start in starts]


def _daily(column, stmt: sa.Select, since: datetime) -> list[tuple[date, int]]:
    day = utc_day(column)
    rows = db.session.execute(stmt.add_columns(day, sa.func.count()).where(column >= since).group_by(day))
    return [(d if isinstance(d, date) else date.fromisoformat(d), n) for d, n in rows]


def _per_week(daily: list[tuple[date, int]]) -> dict[date, int]:
    totals: dict[date, int] = {}
    for day, n in daily:
        totals[week_start(day)] = totals.get(week_start(day), 0) + n
    return totals


# --- the staff home ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sales:
    currency: str
    orders: int
    total: object  # Decimal


def orders_to_approve(limit: int = SHOWN) -> list[sa.Row]:
    """The oldest pending orders first (their age is what staff act on), with the reseller's name."""
    return list(db.session.execute(
        sa.select(Order.id, Order.created_at, Order.total, Order.currency, Reseller.name.label("reseller_name"))
        .join(Reseller, Order.reseller_id == Reseller.id).where(Order.status == OrderStatus.PENDING)
        .order_by(Order.created_at, Order.id).limit(limit)))


def imports_due_between(start: datetime, end: datetime) -> int:
    """PENDING imports whose run time falls in [start, end) (the staff member's "today")."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Import).where(
        Import.status == ImportStatus.PENDING, Import.run_at >= start, Import.run_at < end)) or 0


def sales_since(start: datetime) -> list[Sales]:
    """Approved orders placed since `start`, counted and summed per currency (biggest first)."""
    total = sa.func.sum(Order.total)
    rows = db.session.execute(
        sa.select(Order.currency, sa.func.count(), total)
        .where(Order.status == OrderStatus.APPROVED, Order.created_at >= start)
        .group_by(Order.currency).order_by(total.desc()))
    return [Sales(currency, n, amount) for currency, n, amount in rows]
