"""My imports' listing: pages of a reseller's imports, one import, its items (the staff list: services.staff_lists;
staff see an import's items through first_items and items_page too).

Apart from the engine (services.imports.imports): these only read. My imports polls every 2 s while an import is
active; `poll_version()` lets a poll that would show the same thing answer 304 with one small query (no page, no
item), and an expanded import shows only its first items (`first_items`), the rest on its own page (`items_page`).
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa

from models import Customer, Import, ImportItem, ImportStatus, ItemStatus, Product, User, db
from services.paging import KeysetPage, Page, keyset_page, page_of

PER_PAGE_CHOICES = (10, 25, 50, 100)
SORTS = {"created": Import.id, "schedule": Import.run_at}  # ids grow with created_at
LISTED = (Import.id, Import.name, Import.account_type, Import.source, Import.import_type, Import.status, Import.run_at,
          Import.created_at, Import.completed_count, Import.failed_count, Import.failure_reason)
FIRST_ITEMS = 10  # what an expanded row shows; the import's page (items_page) shows them all
ITEMS_PER_PAGE = 50


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


def get_import(reseller_id: int, import_id: int) -> Import | None:
    return db.session.scalar(sa.select(Import).where(Import.id == import_id, Import.reseller_id == reseller_id))


# --- polling and items -----------------------------------------------------------------------------

def poll_version(reseller_id: int, *context: Any) -> str:
    """A digest of what can change on My imports for the reseller: its active (pending or running) imports' status,
    counters, failure reason and run time, and its newest import's id; with `context` (the page's arguments, the
    open rows, the viewer's language and time zone).

    A finished import never changes again, and the engine writes an import's items together with its status or
    counters (a file import's rows processed), so neither the page's rows nor any item need be read: a poll whose
    version has not changed is answered 304. (A failed import retried and finished between two polls is the one
    change it misses: the next change, or a reload, shows it.)"""
    active = db.session.connection().execute(_version_statement(), {"reseller_id": reseller_id}).all()
    return hashlib.blake2b(repr(([tuple(row) for row in active], context)).encode(), digest_size=16).hexdigest()


@cache
def _version_statement() -> sa.Select:
    # Built once: every poll of every open My imports runs it, and building it cost more than running it
    # (bench/polling.py).
    # The table's columns, not the entity's: no ORM step for rows only hashed (half the time of the statement).
    table, reseller = Import.__table__, sa.bindparam("reseller_id")
    newest = sa.select(sa.func.max(table.c.id)).where(table.c.reseller_id == reseller).scalar_subquery()
    return (sa.select(table.c.id, table.c.status, table.c.completed_count, table.c.failed_count,
                      table.c.processed_count, table.c.failure_reason, table.c.run_at, newest.label("newest"))
            .where(table.c.reseller_id == reseller,  # IN written out: an expanding parameter is re-rendered each time
                   table.c.status.in_([sa.literal_column(f"'{status.value}'")
                                       for status in (ImportStatus.PENDING, ImportStatus.RUNNING)]))
            .order_by(table.c.id))


@dataclass
class ItemsPreview:
    items: list[Any]  # the first FIRST_ITEMS rows of _item_columns()
    total: int        # how many the import has


def first_items(import_ids: Sequence[int], limit: int = FIRST_ITEMS,
                status: ItemStatus | None = None) -> dict[int, ItemsPreview]:
    """The first `limit` items of each import (of `status` if given; in row order) and how many it has: one query
    per import, an index range, however many items it has (My imports' expanded rows, Admin → Imports' failed
    ones)."""
    previews = {}
    for import_id in import_ids:
        of_import = [ImportItem.import_id == import_id] + ([ImportItem.status == status] if status else [])
        count = sa.select(sa.func.count()).select_from(ImportItem).where(*of_import)
        stmt = (_items_select().add_columns(count.scalar_subquery().label("items_total"))
                .where(*of_import).order_by(ImportItem.id).limit(limit))
        rows = db.session.execute(stmt).all()
        previews[import_id] = ItemsPreview(rows, rows[0].items_total if rows else 0)
    return previews


def items_page(import_id: int, status: ItemStatus | None, page: int, total: int) -> Page:
    """Page `page` of an import's items, of `status` if given (`total` of them: item_counts()), in row order."""
    stmt = _items_select().where(ImportItem.import_id == import_id)
    if status is not None:
        stmt = stmt.where(ImportItem.status == status)
    return page_of(stmt.order_by(ImportItem.id), page, ITEMS_PER_PAGE, total=total, last_when_past_end=True)


def item_counts(import_id: int) -> dict[ItemStatus, int]:
    """How many items of the import are in each status (those with none are left out)."""
    return dict(db.session.execute(sa.select(ImportItem.status, sa.func.count())
                                   .where(ImportItem.import_id == import_id).group_by(ImportItem.status)).all())


def _items_select() -> sa.Select:
    """An item as the lists show it, with its customer's and product's columns (none for a row that failed its
    checks)."""
    return (sa.select(ImportItem.id, ImportItem.import_id, ImportItem.row_number, ImportItem.status,
                      ImportItem.reasons, ImportItem.external_id, ImportItem.direct_payment,
                      Customer.code.label("customer_code"), Customer.name.label("customer_name"),
                      Customer.billing_start, Product.sku.label("product_sku"), Product.name.label("product_name"))
            .outerjoin(Customer, Customer.id == ImportItem.customer_id)
            .outerjoin(Product, Product.id == ImportItem.product_id))
