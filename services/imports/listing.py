"""My imports' listing: pages of a reseller's imports, one import, its items (the staff list: services.staff_lists;
staff see an import's items through first_items and items_page too).

Apart from the engine (services.imports.imports): these only read. My imports polls every 2 s while an import is
active; `poll_version()` lets a poll that would show the same thing answer 304 with one small query (no page, no
item), and an expanded import shows only its first items (`first_items`), the rest on its own page (`items_page`).
"""
from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa

from models import Customer, Import, ImportItem, ImportSource, ImportStatus, ItemStatus, Product, User, db
from services.paging import KeysetPage, Page, keyset_page, page_of

PER_PAGE_CHOICES = (10, 25, 50, 100)
# The lists read columns (rows, no ORM step): the tables'.
_IMPORTS, _USERS, _ITEMS = Import.__table__, User.__table__, ImportItem.__table__
_CUSTOMERS, _PRODUCTS = Customer.__table__, Product.__table__
SORTS = {"created": _IMPORTS.c.id, "schedule": _IMPORTS.c.run_at}  # ids grow with created_at
LISTED = (*(_IMPORTS.c[name] for name in ("id", "name", "account_type", "source", "import_type", "status", "run_at",
                                          "created_at", "completed_count", "failed_count", "failure_reason",
                                          "processed_count")),
          _USERS.c.name.label("creator_name"), _USERS.c.email.label("creator_email"))
FIRST_ITEMS = 10  # what an expanded row shows; the import's page (items_page) shows them all
ITEMS_PER_PAGE = 50


@dataclass
class ImportPage(KeysetPage):
    sort: str
    direction: str
    per_page: int
    active: bool  # any of the reseller's imports (on this page or not) is pending or running


def list_imports(reseller_id: int, sort: str = "created", direction: str = "desc", per_page: int = 10,
                 after: str | None = None, before: str | None = None, *, active: bool) -> ImportPage:
    """A keyset page of the reseller's imports (services.paging: an index seek, no OFFSET) as rows of LISTED (each
    creator's name and e-mail in the same query); ?after= and ?before= carry the cursors. `active`: whether the
    reseller has any import pending or running (the poll's version has read them: active_imports())."""
    sort = sort if sort in SORTS else "created"
    direction = direction if direction in ("asc", "desc") else "desc"
    per_page = per_page if per_page in PER_PAGE_CHOICES else PER_PAGE_CHOICES[0]
    page = keyset_page(_listed().where(_IMPORTS.c.reseller_id == reseller_id), _IMPORTS.c.id,
                       sort_column=SORTS[sort], descending=direction == "desc", per_page=per_page, after=after,
                       before=before)
    return ImportPage(page.items, page.next_cursor, page.prev_cursor, page.is_first, sort, direction, per_page, active)


def _listed() -> sa.Select:
    return sa.select(*LISTED).select_from(_IMPORTS.join(_USERS, _USERS.c.id == _IMPORTS.c.created_by_id))


def get_import(reseller_id: int, import_id: int) -> Import | None:
    return db.session.scalar(sa.select(Import).where(Import.id == import_id, Import.reseller_id == reseller_id))


# --- polling and items -----------------------------------------------------------------------------

def active_imports(reseller_id: int) -> list[sa.Row]:
    """The reseller's active (pending or running) imports as rows of LISTED (what the poll's version reads, and what
    a poll that gets its changed rows alone shows), each with the reseller's newest import's id; in id order."""
    return db.session.connection().execute(_version_statement(), {"reseller_id": reseller_id}).all()


@dataclass(frozen=True)
class PollVersion:
    """What My imports shows for a reseller, as two digests: `rows`, which imports the page lists and in what order
    (the newest import, which imports are active and their run times, and the context: the page's arguments, the
    open rows, the viewer's language and time zone), and `content`, what the active ones show (status, counters,
    failure reason, rows processed). `tag`, both, is the ETag a poll names."""
    rows: str
    content: str

    @property
    def tag(self) -> str:
        return self.rows + self.content

    def same_rows(self, tag: str) -> bool:
        """A tab that names `tag` shows the same rows: only its active imports' content can differ."""
        return len(tag) == len(self.tag) and tag.startswith(self.rows)


def poll_version(active: Sequence[sa.Row], *context: Any) -> PollVersion:
    """The version of My imports for a reseller whose active imports are `active` (active_imports()).

    A finished import never changes again, and the engine writes an import's items together with its status or
    counters (a file import's rows processed), so neither the page's rows nor any item need be read: a poll whose
    version has not changed is answered 304, and one whose rows have not changed gets its active imports' rows
    alone. (A failed import retried and finished between two polls is the one change it misses: the next change,
    or a reload, shows it.)"""
    rows = (active[0].newest if active else None, [(row.id, row.run_at) for row in active], context)
    content = [(row.status, row.completed_count, row.failed_count, row.processed_count, row.failure_reason)
               for row in active]
    return PollVersion(_digest(rows), _digest(content))


def _digest(value: Any) -> str:
    return hashlib.blake2b(repr(value).encode(), digest_size=12).hexdigest()


@cache
def _version_statement() -> sa.Select:
    # Built once: every poll of every open My imports runs it, and building it cost more than running it
    # (bench/polling.py).
    # The tables' columns, not the entities': no ORM step. The rows as the page lists them (LISTED): a poll that
    # gets its changed rows alone renders these.
    table, reseller = _IMPORTS, sa.bindparam("reseller_id")
    newest = sa.select(sa.func.max(table.c.id)).where(table.c.reseller_id == reseller).scalar_subquery()
    return (_listed().add_columns(newest.label("newest"))
            .where(table.c.reseller_id == reseller,  # IN written out: an expanding parameter is re-rendered each time
                   table.c.status.in_([sa.literal_column(f"'{status.value}'")
                                       for status in (ImportStatus.PENDING, ImportStatus.RUNNING)]))
            .order_by(table.c.id))


@dataclass
class ItemsPreview:
    items: list[Any]  # the first FIRST_ITEMS rows of _items_select()
    total: int        # how many the import has


def open_previews(imports: Sequence[Any], open_ids: Collection[int]) -> dict[int, ItemsPreview]:
    """first_items() of those of `imports` (rows of LISTED, or Import objects) that are open. A file import's rows
    processed are its items (each processed row has its item, written in the same transaction), so its items are
    not counted: a CSV import can have 20,000."""
    opened = [imp for imp in imports if imp.id in open_ids]
    return first_items([imp.id for imp in opened],
                       totals={imp.id: imp.processed_count for imp in opened if imp.source is ImportSource.FILE})


def first_items(import_ids: Sequence[int], limit: int = FIRST_ITEMS, status: ItemStatus | None = None,
                totals: Mapping[int, int] | None = None) -> dict[int, ItemsPreview]:
    """The first `limit` items of each import (of `status` if given; in row order) and how many it has (`totals`,
    where the caller knows it; counted only when there are more than `limit`): an index range per import, however
    many items it has (My imports' expanded rows, Admin → Imports' failed ones)."""
    totals = totals or {}
    previews = {}
    for import_id in import_ids:
        of_import = [_ITEMS.c.import_id == import_id] + ([_ITEMS.c.status == status] if status else [])
        rows = db.session.execute(_items_select().where(*of_import).order_by(_ITEMS.c.id).limit(limit)).all()
        if import_id in totals:
            total = totals[import_id]
        elif len(rows) < limit:
            total = len(rows)
        else:
            total = db.session.scalar(sa.select(sa.func.count()).select_from(_ITEMS).where(*of_import))
        previews[import_id] = ItemsPreview(rows, total)
    return previews


def items_page(import_id: int, status: ItemStatus | None, page: int, total: int) -> Page:
    """Page `page` of an import's items, of `status` if given (`total` of them: item_counts()), in row order."""
    stmt = _items_select().where(_ITEMS.c.import_id == import_id)
    if status is not None:
        stmt = stmt.where(_ITEMS.c.status == status)
    return page_of(stmt.order_by(_ITEMS.c.id), page, ITEMS_PER_PAGE, total=total, last_when_past_end=True)


def item_counts(import_id: int) -> dict[ItemStatus, int]:
    """How many items of the import are in each status (those with none are left out)."""
    return dict(db.session.execute(sa.select(_ITEMS.c.status, sa.func.count())
                                   .where(_ITEMS.c.import_id == import_id).group_by(_ITEMS.c.status)).all())


def _items_select() -> sa.Select:
    """An item as the lists show it, with its customer's and product's columns (none for a row that failed its
    checks)."""
    item, customer, product = _ITEMS.c, _CUSTOMERS.c, _PRODUCTS.c
    return (sa.select(item.id, item.import_id, item.row_number, item.status, item.reasons, item.external_id,
                      item.direct_payment, customer.code.label("customer_code"), customer.name.label("customer_name"),
                      customer.billing_start, product.sku.label("product_sku"), product.name.label("product_name"))
            .select_from(_ITEMS.outerjoin(_CUSTOMERS, customer.id == item.customer_id)
                         .outerjoin(_PRODUCTS, product.id == item.product_id)))
