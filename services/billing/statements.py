"""Monthly statements: closing a month for every reseller at once, and reading statements back.

close_month(period) — run on the 1st at 00:00 UTC for the month before (jobs/billing.py) — writes the month's due
subscription fees (services.billing.fees, for the last moment of the month), then in the same transaction:

1. inserts one statement per reseller with charges not on a statement that occurred before the month's end
   (INSERT … SELECT … GROUP BY, ON CONFLICT (reseller, period) DO NOTHING, RETURNING the new ones only);
2. puts those charges on the new statements (one UPDATE … FROM): only on statements made by this run, so a
   closed statement never changes; a charge that commits later with an earlier date goes on the next month's;
3. sums each new statement's charges (one grouped SELECT) and writes subtotal, tax and total (one UPDATE … FROM
   a JSON parameter), and queues the "statement ready" e-mails.

It also records the month as closed (ClosedMonth, with or without statements): a close missed on the 1st (the
scheduler was down) is run later by the sweep (jobs/billing.py enqueue_missed_closes), month by month.

Running it twice, or again after a crash (everything is one transaction: all or nothing), gives the same
statements. Totals: the subtotal is the exact sum of the lines (each line already in cents); the tax is
TAX_RATE × subtotal rounded once, half up, to the cent; total = subtotal + tax. A reseller without charges in the
month gets no statement (its Billing page says the month had none).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from babel.dates import format_skeleton
from flask_babel import get_locale
from sqlalchemy.dialects import postgresql, sqlite

from models import Charge, ClosedMonth, Customer, Reseller, Statement, db, utcnow
from models.base import insert_ignoring_duplicates
from models.json_rows import JsonRows
from services.billing import fees, notices
from services.billing.ledger import cents
from services.orders.cart import tax_rate
from services.paging import Page, page_of

PER_PAGE = 20
LINES_PER_PAGE = 100
LAST_MOMENT = timedelta(microseconds=1)  # a month's last moment is its end minus the smallest stored step
_TOTALS = JsonRows(*(Statement.__table__.c[name] for name in ("id", "line_count", "subtotal", "tax", "total",
                                                               "cost")))


# --- periods -----------------------------------------------------------------------------------------

def period_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a "YYYY-MM" period in UTC; ValueError for anything else."""
    year, month = (int(part) for part in period.split("-"))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    if period != period_of(start):
        raise ValueError(period)
    return start, end


def previous_period(now: datetime) -> str:
    first = now.astimezone(UTC).date().replace(day=1)
    return period_of(datetime(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1, tzinfo=UTC))


def next_period(period: str) -> str:
    return period_of(period_bounds(period)[1])


def last_closed_period() -> str | None:
    """The latest month the close has run for (one index lookup: the sweep asks every minute)."""
    return db.session.scalar(sa.select(sa.func.max(ClosedMonth.period)))


def periods_to_close(now: datetime) -> list[str]:
    """The months after the last closed one up to the one before `now`, oldest first: what a missed close left.

    Empty before any close ever ran (a new installation waits for its first scheduled close)."""
    last, due = last_closed_period(), previous_period(now)
    periods = []
    while last is not None and last < due:  # "YYYY-MM" sorts as the months do
        last = next_period(last)
        periods.append(last)
    return periods


def is_closed(period: str, now: datetime | None = None) -> bool:
    """Whether the close of `period` is due (its month is over): only then can it have statements."""
    return period_bounds(period)[1] <= (now or utcnow())


def has_been_closed(period: str, now: datetime | None = None) -> bool:
    """Whether `period`'s statements are all made: its month is over and its close ran (ClosedMonth; before the
    first close ever ran, the month being over is all there is to go by)."""
    if not is_closed(period, now):
        return False
    last = last_closed_period()
    return last is None or period <= last


# --- the close ---------------------------------------------------------------------------------------

def close_month(period: str) -> list[int]:
    """Close `period` for every reseller (flushed; the job commits); the ids of the statements it made."""
    start, end = period_bounds(period)
    fees.write_due_fees(end - LAST_MOMENT)
    rate = tax_rate()
    new = _insert_statements(period, end, rate)
    insert_ignoring_duplicates(ClosedMonth, ["period"], period=period, closed_at=utcnow(), statements=len(new))
    if not new:
        return []
    _attach_charges(period, end, new)
    _write_totals(new, rate)
    notices.queue_statement_emails(new)
    return sorted(new)


def _insert(model):
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name](model)


def _open_before(end: datetime):
    return sa.and_(Charge.statement_id.is_(None), Charge.occurred_at < end)


def _insert_statements(period: str, end: datetime, rate: Decimal) -> list[int]:
    resellers = (sa.select(Charge.reseller_id, sa.literal(period, sa.String(7)), Reseller.currency,
                           sa.literal(rate, Statement.tax_rate.type), sa.literal(utcnow(), Statement.created_at.type))
                 .join(Reseller, Reseller.id == Charge.reseller_id).where(_open_before(end))
                 .group_by(Charge.reseller_id, Reseller.currency))
    table = Statement.__table__
    stmt = (_insert(table).from_select(["reseller_id", "period", "currency", "tax_rate", "created_at"], resellers)
            .on_conflict_do_nothing(index_elements=["reseller_id", "period"]).returning(table.c.id))
    return list(db.session.scalars(stmt))


def _attach_charges(period: str, end: datetime, new: list[int]) -> None:
    mine = sa.select(Statement.id, Statement.reseller_id).where(Statement.id.in_(new)).subquery()
    db.session.execute(sa.update(Charge).where(Charge.reseller_id == mine.c.reseller_id, _open_before(end))
                       .values(statement_id=mine.c.id).execution_options(synchronize_session=False))


def _write_totals(new: list[int], rate: Decimal) -> None:
    sums = db.session.execute(
        sa.select(Charge.statement_id, sa.func.count(), sa.func.sum(Charge.amount), sa.func.sum(Charge.cost))
        .where(Charge.statement_id.in_(new)).group_by(Charge.statement_id))
    rows = []
    for statement_id, count, amount, cost in sums:
        subtotal = cents(Decimal(str(amount)))  # SQLite sums NUMERIC as floats: cents make it exact again
        tax = cents(subtotal * rate)
        rows.append({"id": statement_id, "line_count": count, "subtotal": subtotal, "tax": tax,
                     "total": subtotal + tax, "cost": cents(Decimal(str(cost)))})
    totals = _TOTALS.table()
    table = Statement.__table__
    db.session.execute(table.update().where(table.c.id == totals.c.id)
                       .values(**{name: totals.c[name] for name in ("line_count", "subtotal", "tax", "total", "cost")}),
                       {"rows": _TOTALS.param(rows)})


# --- reading -----------------------------------------------------------------------------------------

@dataclass
class Running:
    """This month's charges so far (not on a statement yet) of a reseller."""

    count: int
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def running_totals(reseller_id: int) -> Running:
    count, amount = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Charge.amount), 0))
        .where(Charge.reseller_id == reseller_id, Charge.statement_id.is_(None))).one()
    subtotal = cents(Decimal(str(amount)))
    tax = cents(subtotal * tax_rate())
    return Running(count, subtotal, tax, subtotal + tax)


def _lines(where) -> sa.Select:
    return (sa.select(Charge.id, Charge.occurred_at, Charge.kind, Charge.description, Charge.quantity,
                      Charge.unit_price, Charge.amount, Charge.period_start, Charge.period_end,
                      Charge.subscription_id, Charge.order_id, Charge.customer_id,
                      Customer.name.label("customer_name"), Customer.code.label("customer_code"))
            .outerjoin(Customer, Customer.id == Charge.customer_id).where(where)
            .order_by(Customer.name.is_(None), Customer.name, Charge.customer_id, Charge.subscription_id,
                      Charge.occurred_at, Charge.id))


def running_charges(reseller_id: int, page: int = 1) -> Page:
    where = sa.and_(Charge.reseller_id == reseller_id, Charge.statement_id.is_(None))
    count = sa.select(sa.func.count()).select_from(Charge).where(where)
    return page_of(_lines(where), page, LINES_PER_PAGE, count=count)


def statement_lines(statement: Statement, page: int | None = 1) -> Page | list:
    """A page of a statement's lines, grouped by customer and subscription (page None: all of them)."""
    stmt = _lines(Charge.statement_id == statement.id)
    if page is None:
        return list(db.session.execute(stmt))
    return page_of(stmt, page, LINES_PER_PAGE, total=statement.line_count)


def reseller_statement(reseller_id: int | None, statement_id: int) -> Statement | None:
    """The statement if it is this reseller's; None otherwise (the view answers 404)."""
    return db.session.scalar(sa.select(Statement).where(Statement.id == statement_id,
                                                        Statement.reseller_id == reseller_id))


def statement_for(reseller_id: int, period: str) -> Statement | None:
    return db.session.scalar(sa.select(Statement).where(Statement.reseller_id == reseller_id,
                                                        Statement.period == period))


def reseller_statements(reseller_id: int, page: int = 1) -> Page:
    """The reseller's statements, newest month first, each row with its figures (never the cost)."""
    where = Statement.reseller_id == reseller_id
    items = (sa.select(Statement.id, Statement.period, Statement.line_count, Statement.subtotal, Statement.tax,
                       Statement.total, Statement.currency, Statement.created_at)
             .where(where).order_by(Statement.period.desc()))
    return page_of(items, page, PER_PAGE, count=sa.select(sa.func.count()).select_from(Statement).where(where))


def months_total(reseller_id: int) -> tuple[Decimal, int]:
    """What all of the reseller's statements add up to, and how many there are (the list's totals row)."""
    total, count = db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(Statement.total), 0), sa.func.count())
                                      .where(Statement.reseller_id == reseller_id)).one()
    return cents(Decimal(str(total))), count


def first_day(period: str) -> date:
    return period_bounds(period)[0].date()


def month_label(period: str) -> str:
    """"November 2026", "noviembre de 2026": the month in the current language (Babel's yMMMM skeleton)."""
    return format_skeleton("yMMMM", first_day(period), locale=get_locale() or "en")


def charges_of(reseller_id: int, *, subscription_id: int | None = None, order_id: int | None = None) -> list:
    """A subscription's or an order's charges, oldest first, with the statement each is on (for their pages:
    templates/billing/_charges.html); only this reseller's."""
    # On the tables, not the mapped classes: a select of columns needs none of the ORM's work on each execution.
    charge, statement = Charge.__table__.c, Statement.__table__.c
    where = [charge.reseller_id == reseller_id]
    if subscription_id is not None:
        where.append(charge.subscription_id == subscription_id)
    if order_id is not None:
        where.append(charge.order_id == order_id)
    stmt = (sa.select(charge.id, charge.occurred_at, charge.kind, charge.description, charge.quantity,
                      charge.unit_price, charge.amount, charge.period_start, charge.period_end, charge.statement_id,
                      statement.period).outerjoin(Statement.__table__, statement.id == charge.statement_id)
            .where(*where).order_by(charge.occurred_at, charge.id))
    return list(db.session.execute(stmt))
