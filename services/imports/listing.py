"""My imports' listing and the staff imports list: pages of imports, one import, the items of a few.

Apart from the engine (services.imports.imports): these only read."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from models import Import, ImportItem, ImportStatus, User, db, utcnow
from services.dashboard import DUE_SOON
from services.paging import KeysetPage, keyset_page

PER_PAGE_CHOICES = (10, 25, 50, 100)
SORTS = {"created": Import.id, "schedule": Import.run_at}  # ids grow with created_at
LISTED = (Import.id, Import.name, Import.account_type, Import.source, Import.import_type, Import.status, Import.run_at,
          Import.created_at, Import.completed_count, Import.failed_count, Import.failure_reason)


@dataclass
class ImportPage(KeysetPage):
    sort: str
    direction: str
    per_page: int
    active: bool  # any of the reseller's imports (on this page or not) is pending or running


def list_imports(reseller_id: int, sort: str = "created", direction: str = "desc", per_page: int = 10,
                 after: str | None = None, before: str | None = None) -> ImportPage:
    """A keyset page of the reseller's imports (services.paging: an index seek, no OFFSET) as rows of LISTED, each
    creator's name and e-mail in the same query; ?after= and ?before= carry the cursors."""
    sort = sort if sort in SORTS else "created"
    direction = direction if direction in ("asc", "desc") else "desc"
    per_page = per_page if per_page in PER_PAGE_CHOICES else PER_PAGE_CHOICES[0]
    active = _active_statement(reseller_id).exists().correlate(None).label("any_active")  # has_active(), here
    stmt = (sa.select(*LISTED, User.name.label("creator_name"), User.email.label("creator_email"), active)
            .join(User, User.id == Import.created_by_id).where(Import.reseller_id == reseller_id))
    page = keyset_page(stmt, Import.id, sort_column=SORTS[sort], descending=direction == "desc", per_page=per_page,
                       after=after, before=before)
    return ImportPage(page.items, page.next_cursor, page.prev_cursor, page.is_first, sort, direction, per_page,
                      page.items[0].any_active if page.items else has_active(reseller_id))


def has_active(reseller_id: int) -> bool:
    """Anything PENDING or RUNNING: the My imports page keeps polling only while this is true."""
    return db.session.scalar(_active_statement(reseller_id)) is not None


def _active_statement(reseller_id: int) -> sa.Select:
    return sa.select(Import.id).where(Import.reseller_id == reseller_id,
                                      Import.status.in_((ImportStatus.PENDING, ImportStatus.RUNNING))).limit(1)


def staff_imports(*, reseller_id: int | None = None, status: ImportStatus | None = None, start: datetime | None = None,
                  end: datetime | None = None, due: str = "", older_than: str | None = None) -> KeysetPage:
    """Every reseller's imports for staff, newest first, 50 a page (keyset: `older_than` is the cursor), with their
    reseller and creator: run in [start, end) when given; `due` "24h" (pending, due within DUE_SOON) or "overdue"
    (pending, due and not run)."""
    stmt = sa.select(Import).options(joinedload(Import.reseller), joinedload(Import.created_by))
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
    return keyset_page(stmt, Import.id, after=older_than)


def get_import(reseller_id: int, import_id: int) -> Import | None:
    return db.session.scalar(sa.select(Import).where(Import.id == import_id, Import.reseller_id == reseller_id))


def items_by_import(import_ids: Sequence[int]) -> dict[int, list[ImportItem]]:
    """The items of several imports with their customer and product, in one query."""
    result: dict[int, list[ImportItem]] = {i: [] for i in import_ids}
    if not import_ids:
        return result
    stmt = (sa.select(ImportItem).where(ImportItem.import_id.in_(import_ids)).order_by(ImportItem.id)
            .options(joinedload(ImportItem.customer), joinedload(ImportItem.product)))
    for item in db.session.scalars(stmt):
        result[item.import_id].append(item)
    return result
