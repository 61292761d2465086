"""Every list's pages: numbered pages (`page_of`) and keyset pages (`keyset_page`).

Numbered pages (catalog, orders, licenses, customers, approvals, admin resellers and catalog): the caller writes
the items select (and, for a total, its count); page_of() adds the window. A `Page` answers what the pager
(templates/_partials/pager.html, `numbered`) asks of it. Not `db.paginate()`: one more query, and a second way.

Keyset pages (My imports, the admin lists of orders, imports, audit events and e-mails): the rows after (or
before) a cursor in the order of (sort key, id), an index seek however deep the page, no OFFSET. The cursor in
the URL is the id, or the sort key and the id ("20261207013000123456-42" for a time); a mangled one shows the
first page rather than an error. Sorted by any never-NULL column or expression (the cursor's key is its text, number
or time). Each page knows the list's total and its own range, counted in the same query up to COUNT_CAP ("of
10,000+"). The pager's `keyset` macro shows them and links the pages.

Sorting by a column (`parse_sort`, `sorted_by`): ?sort=name or ?sort=-name (descending) among the columns a list
offers, anything else its default; the headers link it (templates/_partials/sort.html).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from models import db
from services.numbers import INT_MAX, MAX_PAGE, parse_int


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int
    capped: bool = False  # the total was counted only so far: "200+"

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.items) if self.items else 0


def page_of(items: sa.Select, page: int, per_page: int, *, total: int | None = None,
            count: sa.Select | None = None, last_when_past_end: bool = False) -> Page:
    """Page `page` (from 1; past the end it is empty, or with `last_when_past_end` the last one) of `items`, as
    rows (objects for a select of one entity, `sa.select(Product)`). The total is the caller's `total`, or
    `count`'s: each row carries it (as `page_total`), so a page is one query, and `count` runs on its own only
    for a page past the end."""
    page = min(max(page, 1), MAX_PAGE)  # a huge page number is an empty page, not an OFFSET out of range
    window = items if count is None else items.add_columns(count.correlate(None).scalar_subquery().label("page_total"))
    window = window.limit(per_page) if page == 1 else window.limit(per_page).offset((page - 1) * per_page)
    rows = list(db.session.execute(window))
    if total is None:
        if rows:
            total = rows[0].page_total
        else:
            total = (db.session.scalar(count) or 0) if page > 1 and count is not None else 0
    if not rows and last_when_past_end and total and page > 1:
        return page_of(items, math.ceil(total / per_page), per_page, total=total)
    return Page(_objects_or_rows(rows, 1 if count is None else 2), page, per_page, total)


# --- sorting by a column --------------------------------------------------------------------------

@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool = False

    @property
    def param(self) -> str:
        return ("-" if self.descending else "") + self.key


def parse_sort(value: str | None, columns: dict[str, Any], default: str) -> Sort:
    """The ?sort= value among `columns` ("name", "-name" descending); anything else: `default` (same syntax)."""
    for candidate in (value or "", default):
        key = candidate.removeprefix("-")
        if key in columns:
            return Sort(key, candidate.startswith("-"))
    raise ValueError(f"default sort {default!r} is not one of the columns")


def sorted_by(stmt: sa.Select, sort: Sort, columns: dict[str, Any], *tiebreak: Any) -> sa.Select:
    """`stmt` ordered by the sort's column (then `tiebreak`, e.g. the id, so pages never overlap; not the sort's
    column again when it is the tiebreak itself)."""
    column = columns[sort.key]
    return stmt.order_by(column.desc() if sort.descending else column.asc(), *(t for t in tiebreak if t is not column))


# --- keyset pages --------------------------------------------------------------------------------

COUNT_CAP = 10_000  # a keyset list counts its rows up to here, then reads "of 10,000+"


class CountedRows(list):
    """A keyset page's rows with the counts made with them, so that a page built again from another's fields (a
    subclass of KeysetPage with fields of its own, e.g. My imports' ImportPage) still knows them."""
    total: int | None = None
    offset: int | None = None
    capped: bool = False


@dataclass
class KeysetPage:
    items: list[Any]
    next_cursor: str | None  # for the page after this one (older, newest first)
    prev_cursor: str | None  # for the page before this one
    is_first: bool           # nothing comes before this page
    # Counted pages (keyset_page(counted=True), the default): how many rows the list has and how many come before
    # this page, each counted up to COUNT_CAP (None past it); what the pager's "51–100 of 1,234" reads.
    total: int | None = field(default=None, kw_only=True)
    offset: int | None = field(default=None, kw_only=True)
    capped: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        if self.total is None and isinstance(self.items, CountedRows):
            self.total, self.offset, self.capped = self.items.total, self.items.offset, self.items.capped

    @property
    def first(self) -> int | None:
        return None if self.offset is None or not self.items else self.offset + 1

    @property
    def last(self) -> int | None:
        return None if self.offset is None or not self.items else self.offset + len(self.items)


def keyset_page(stmt: sa.Select, id_column: Any, *, sort_column: Any = None, descending: bool = True,
                per_page: int = 50, after: str | None = None, before: str | None = None,
                counted: bool = True) -> KeysetPage:
    """The `per_page` rows of `stmt` after the cursor `after` (or those just before `before`) in the order of
    (sort_column, id_column), descending or not; `sort_column` (a column or expression that is never NULL)
    defaults to the id. Rows for a select of columns, objects for a select of one entity (`sa.select(Order)`).
    `counted` (unless False): the page also knows the list's total and its own position (up to COUNT_CAP), in the
    same query."""
    sort_column = id_column if sort_column is None else sort_column
    by_id = sort_column is id_column
    backwards = before is not None and after is None
    cursor = decode_cursor(before if backwards else after, sort_column, id_column)
    ascending = descending == backwards
    key = id_column if by_id else sa.tuple_(sort_column, id_column)
    bound = None if cursor is None else _bound(cursor, sort_column, id_column)
    window = stmt if bound is None else stmt.where(key > bound if ascending else key < bound)
    extras = [] if by_id else [sort_column.label("sort_key")]
    if counted:
        extras += [_capped_count(stmt).label("page_total"), _preceding(stmt, key, bound, descending, backwards)]
    order = [id_column] if by_id else [sort_column, id_column]
    window = window.add_columns(*extras).order_by(*(c.asc() if ascending else c.desc() for c in order))
    rows = list(db.session.execute(window.limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
    has_next = more if not backwards else True
    has_prev = (cursor is not None) if not backwards else more
    items = CountedRows(_objects_or_rows(rows, 1 + len(extras)))
    if counted:
        _count_into(items, rows, stmt, backwards)
    return KeysetPage(items, encode_cursor(rows[-1], sort_column, id_column) if rows and has_next else None,
                      encode_cursor(rows[0], sort_column, id_column) if rows and has_prev else None, not has_prev)


def _bound(cursor: tuple, sort_column: Any, id_column: Any) -> Any:
    if sort_column is id_column:
        return sa.literal(cursor[1], id_column.type)
    return sa.tuple_(sa.literal(cursor[0], sort_column.type), sa.literal(cursor[1], id_column.type))


def _capped_count(stmt: sa.Select) -> sa.ScalarSelect:
    """How many rows `stmt` has, counting no further than COUNT_CAP + 1 (a huge table is not read to the end)."""
    limited = (stmt.with_only_columns(sa.literal(1), maintain_column_froms=True).order_by(None)
               .limit(COUNT_CAP + 1).subquery())
    return sa.select(sa.func.count()).select_from(limited).correlate(None).scalar_subquery()


def _preceding(stmt: sa.Select, key: Any, bound: Any, descending: bool, backwards: bool) -> sa.Label:
    """The rows of `stmt` before the cursor in the list's order, the cursor's own row too when paging onward."""
    if bound is None:
        return sa.literal(0).label("page_offset")
    if backwards:
        before = key > bound if descending else key < bound
    else:
        before = key >= bound if descending else key <= bound
    return _capped_count(stmt.where(before)).label("page_offset")


def _count_into(counted: CountedRows, rows: list[sa.Row], stmt: sa.Select, backwards: bool) -> None:
    """Fill in the total and offset from the rows' counts (past the end: count on its own, no offset)."""
    if rows:
        total, preceding = rows[0].page_total, rows[0].page_offset
    else:
        total, preceding = db.session.scalar(sa.select(_capped_count(stmt))), None
    counted.capped = total > COUNT_CAP
    counted.total = min(total, COUNT_CAP)
    if preceding is not None and preceding <= COUNT_CAP:
        counted.offset = preceding - len(rows) if backwards else preceding


def encode_cursor(row: sa.Row, sort_column: Any, id_column: Any) -> str:
    """The cursor of a result row of keyset_page (its entity first, or its columns; `sort_key` when sorted)."""
    first = row[0]
    id_ = getattr(first, id_column.key) if isinstance(first, db.Model) else getattr(row, id_column.key)
    if sort_column is id_column:
        return str(id_)
    value = row.sort_key
    return f"{value.strftime('%Y%m%d%H%M%S%f') if isinstance(value, datetime) else value}-{id_}"


def decode_cursor(cursor: str | None, sort_column: Any, id_column: Any) -> tuple | None:
    """The (sort key, id) of a cursor; None (the first page) for a mangled one or an id beyond the database's."""
    if cursor is None:
        return None
    if sort_column is id_column:
        id_ = parse_int(cursor, 1)
        return None if id_ is None else (id_, id_)
    key_text, _, id_text = cursor.rpartition("-")
    id_ = parse_int(id_text, 1)
    key = None if id_ is None else _sort_key(key_text, sort_column.type)
    return None if key is None else (key, id_)


def _sort_key(text: str, type_: Any) -> Any:
    """A cursor's sort key as the column's type; None when the text is not one."""
    type_ = getattr(type_, "impl", type_)
    if isinstance(type_, sa.DateTime):
        try:
            return datetime.strptime(text, "%Y%m%d%H%M%S%f").replace(tzinfo=UTC)
        except ValueError:
            return None
    if isinstance(type_, sa.Integer):
        return parse_int(text, -INT_MAX, INT_MAX)
    if isinstance(type_, sa.Numeric):
        try:
            return Decimal(text) if text and Decimal(text).is_finite() else None
        except InvalidOperation:
            return None
    return text  # a string (a name, a status)


def _objects_or_rows(rows: list[sa.Row], width: int) -> list[Any]:
    """The objects of a select of one entity (its rows are `width` wide: the object, and page_total if counted),
    else the rows. Told from a row: asking the select (column_descriptions) compiles it again."""
    if rows and len(rows[0]) == width and isinstance(rows[0][0], db.Model):
        return [row[0] for row in rows]
    return rows
