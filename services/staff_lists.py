"""The staff console's lists (orders, approvals, imports, the outbox, the audit log): filtered, sorted by a column,
paged with their range and total (services.paging).

Each list offers its columns as `*_SORTS` (the ?sort= keys, services.paging.parse_sort): a column or an expression
that is never NULL, ordered with the id after it so that pages never overlap. The keyset lists take the cursor of
the page to show (`cursor`: ?before= in their URLs, the page after the one it came from, in the list's order).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased, contains_eager

from models import (
    AuditEvent,
    EmailStatus,
    Import,
    ImportStatus,
    Order,
    OrderStatus,
    OutboxEmail,
    Reseller,
    User,
    utcnow,
)
from services.dashboard import DUE_SOON
from services.paging import KeysetPage, Page, Sort, keyset_page, page_of, sorted_by

PER_PAGE = 50
APPROVALS_PER_PAGE = 20


def by_name(column: sa.ColumnElement) -> sa.ColumnElement:
    return sa.func.lower(column)


def _creator_name() -> sa.ColumnElement:
    return by_name(sa.func.coalesce(sa.func.nullif(User.name, ""), User.email))


# ids grow with the time a row is written: "created" (or "placed", "when") sorts by the id, an index seek.
ORDER_SORTS = {"placed": Order.id, "reseller": by_name(Reseller.name), "status": Order.status, "total": Order.total,
               "description": Order.description}
APPROVAL_SORTS = ORDER_SORTS
IMPORT_SORTS = {"number": Import.id, "name": by_name(Import.name), "reseller": by_name(Reseller.name),
                "source": Import.source, "created": Import.id, "run": Import.run_at, "status": Import.status,
                "completed": Import.completed_count, "failed": Import.failed_count, "creator": _creator_name()}
EMAIL_SORTS = {"number": OutboxEmail.id, "created": OutboxEmail.id, "to": by_name(OutboxEmail.to_addr),
               "subject": by_name(OutboxEmail.subject), "status": OutboxEmail.status,
               "attempts": OutboxEmail.attempts}
_actor = aliased(User, name="sort_actor")
AUDIT_SORTS = {"when": AuditEvent.id, "who": by_name(sa.func.coalesce(_actor.email, "")), "action": AuditEvent.action,
               "object": by_name(AuditEvent.object_type), "ip": AuditEvent.ip}


def _keyset(stmt: sa.Select, id_column, sorts: dict, sort: Sort, cursor: str | None) -> KeysetPage:
    return keyset_page(stmt, id_column, sort_column=sorts[sort.key], descending=sort.descending, per_page=PER_PAGE,
                       after=cursor, counted=True)


def orders_page(sort: Sort, *, reseller_id: int | None = None, status: OrderStatus | None = None,
                start: datetime | None = None, end: datetime | None = None, cursor: str | None = None) -> KeysetPage:
    """Every reseller's orders with their reseller, created in [start, end) when given."""
    stmt = sa.select(Order).join(Order.reseller).options(contains_eager(Order.reseller))
    if reseller_id:
        stmt = stmt.where(Order.reseller_id == reseller_id)
    if status:
        stmt = stmt.where(Order.status == status)
    if start:
        stmt = stmt.where(Order.created_at >= start)
    if end:
        stmt = stmt.where(Order.created_at < end)
    return _keyset(stmt, Order.id, ORDER_SORTS, sort, cursor)


def approvals_page(sort: Sort, page: int = 1) -> Page:
    """The orders waiting for a decision (oldest first unless asked) as rows of their listed columns with
    reseller_name (their lines: services.orders.orders.lines_of())."""
    pending = Order.status == OrderStatus.PENDING
    count = sa.select(sa.func.count()).select_from(Order).where(pending)
    items = (sa.select(Order.id, Order.status, Order.created_at, Order.description, Order.total, Order.currency,
                       Reseller.name.label("reseller_name")).join(Order.reseller).where(pending))
    return page_of(sorted_by(items, sort, APPROVAL_SORTS, Order.id), page, APPROVALS_PER_PAGE, count=count)


def imports_page(sort: Sort, *, reseller_id: int | None = None, status: ImportStatus | None = None,
                 start: datetime | None = None, end: datetime | None = None, due: str = "",
                 cursor: str | None = None) -> KeysetPage:
    """Every reseller's imports with their reseller and creator: run in [start, end) when given; `due` "24h"
    (pending, due within DUE_SOON) or "overdue" (pending, due and not run)."""
    stmt = (sa.select(Import).join(Import.reseller).join(Import.created_by)
            .options(contains_eager(Import.reseller), contains_eager(Import.created_by)))
    if reseller_id:
        stmt = stmt.where(Import.reseller_id == reseller_id)
    if status:
        stmt = stmt.where(Import.status == status)
    if start:
        stmt = stmt.where(Import.run_at >= start)
    if end:
        stmt = stmt.where(Import.run_at < end)
    now = utcnow()
    if due == "24h":
        stmt = stmt.where(Import.status == ImportStatus.PENDING, Import.run_at >= now, Import.run_at <= now + DUE_SOON)
    elif due == "overdue":
        stmt = stmt.where(Import.status == ImportStatus.PENDING, Import.run_at < now)
    return _keyset(stmt, Import.id, IMPORT_SORTS, sort, cursor)


def emails_page(sort: Sort, status: EmailStatus | None = None, cursor: str | None = None) -> KeysetPage:
    """The outbox: every e-mail Canal wrote, of `status` when given."""
    stmt = sa.select(OutboxEmail)
    if status:
        stmt = stmt.where(OutboxEmail.status == status)
    return _keyset(stmt, OutboxEmail.id, EMAIL_SORTS, sort, cursor)


def events_page(filtered: sa.Select, sort: Sort, cursor: str | None = None) -> KeysetPage:
    """A page of services.audit.filtered_events()."""
    if sort.key == "who":
        filtered = filtered.outerjoin(_actor, _actor.id == AuditEvent.actor_id)
    return _keyset(filtered, AuditEvent.id, AUDIT_SORTS, sort, cursor)

