"""What staff see of billing: totals per reseller and month, with the distributor's cost and the margin.

Closed months come from their statements; the month in progress from the charges not on a statement yet. The
margin is the reseller price minus the distributor's cost (Charge.cost): staff pages only, never a reseller's.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from models import Charge, Reseller, Statement, db
from models.billing import statement_number
from services.billing.ledger import cents
from services.paging import Page, Sort, page_of, sorted_by

PER_PAGE = 50
# The columns the statements list sorts by (?sort=total, ?sort=-margin); newest month first unless asked, and
# within a column's ties by reseller name.
SORTS = {"period": Statement.period, "reseller": sa.func.lower(Reseller.name), "number": Statement.id,
         "lines": Statement.line_count, "subtotal": Statement.subtotal, "tax": Statement.tax, "total": Statement.total,
         "cost": Statement.cost, "margin": Statement.subtotal - Statement.cost}
NEWEST_MONTH = Sort("period", descending=True)


@dataclass
class Row:
    id: int
    period: str
    reseller_id: int
    reseller_name: str
    currency: str
    line_count: int
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    cost: Decimal

    @property
    def number(self) -> str:
        return statement_number(self.period, self.id)

    @property
    def margin(self) -> Decimal:
        return self.subtotal - self.cost


def _select(period: str | None, reseller_id: int | None) -> sa.Select:
    stmt = (sa.select(Statement.id, Statement.period, Statement.reseller_id, Reseller.name.label("reseller_name"),
                      Statement.currency, Statement.line_count, Statement.subtotal, Statement.tax, Statement.total,
                      Statement.cost)
            .join(Reseller, Reseller.id == Statement.reseller_id))
    if period:
        stmt = stmt.where(Statement.period == period)
    if reseller_id:
        stmt = stmt.where(Statement.reseller_id == reseller_id)
    return stmt


def totals(period: str | None = None, reseller_id: int | None = None, page: int = 1,
           sort: Sort = NEWEST_MONTH) -> Page:
    """Statements per reseller and month, in `sort` order."""
    stmt = _select(period, reseller_id)
    count = sa.select(sa.func.count()).select_from(stmt.subquery())
    result = page_of(_sorted(stmt, sort), page, PER_PAGE, count=count)
    result.items = [Row(*row[:10]) for row in result.items]
    return result


def all_totals(period: str | None = None, reseller_id: int | None = None, sort: Sort = NEWEST_MONTH):
    stmt = _sorted(_select(period, reseller_id), sort)
    return (Row(*row) for row in db.session.execute(stmt.execution_options(yield_per=1000)))


def _sorted(stmt: sa.Select, sort: Sort) -> sa.Select:
    return sorted_by(stmt, sort, SORTS, Reseller.name, Statement.id)


def grand_totals(period: str | None = None, reseller_id: int | None = None) -> dict[str, Decimal]:
    """Subtotal, cost and margin of every statement the filters select (the list's totals row)."""
    inner = _select(period, reseller_id).subquery()
    subtotal, cost = db.session.execute(sa.select(sa.func.coalesce(sa.func.sum(inner.c.subtotal), 0),
                                                  sa.func.coalesce(sa.func.sum(inner.c.cost), 0))).one()
    subtotal, cost = cents(Decimal(str(subtotal))), cents(Decimal(str(cost)))
    return {"subtotal": subtotal, "cost": cost, "margin": subtotal - cost}


def running(reseller_id: int | None = None) -> list[sa.Row]:
    """The month in progress per reseller: charges not on a statement yet, with their cost."""
    stmt = (sa.select(Reseller.id, Reseller.name, Reseller.currency, sa.func.count().label("line_count"),
                      sa.func.sum(Charge.amount).label("subtotal"), sa.func.sum(Charge.cost).label("cost"))
            .join(Reseller, Reseller.id == Charge.reseller_id).where(Charge.statement_id.is_(None))
            .group_by(Reseller.id, Reseller.name, Reseller.currency).order_by(Reseller.name).limit(PER_PAGE))
    if reseller_id:
        stmt = stmt.where(Charge.reseller_id == reseller_id)
    return list(db.session.execute(stmt))
