"""Numbered pages of a list, with statements built once.

`db.paginate()` derives a new items and count statement from the query on every call, and SQLAlchemy then
builds and keys them again (~0.1-0.2 ms a page view, issue 9). Here the caller builds both once, with
`:limit` and `:offset` bind parameters on the items statement (`offset_window()`), which also carries the
count, and runs them with its parameters. A `Page` answers what templates/catalog/_pagination.html asks of
Flask-SQLAlchemy's Pagination.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from models import db
from services.numbers import MAX_PAGE


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


def offset_window(stmt: sa.Select, count: sa.Select | None = None) -> sa.Select:
    """The items statement of a paged list: its window comes from the :limit and :offset parameters. With
    `count`, each row also carries the list's total (as `page_total`), so a page is one query, not two."""
    if count is not None:
        stmt = stmt.add_columns(count.correlate(None).scalar_subquery().label("page_total"))  # the whole list's
    return stmt.limit(sa.bindparam("limit")).offset(sa.bindparam("offset"))


def page_of(items: sa.Select, params: dict[str, Any], page: int, per_page: int, *, total: int | None = None,
            count: sa.Select | None = None) -> Page:
    """Page `page` (from 1; past the end it is empty) of `items`, as rows. The total is the caller's `total`, or
    the rows' page_total (offset_window with `count`); `count` runs on its own only for a page past the end."""
    page = min(max(page, 1), MAX_PAGE)  # a huge page number is an empty page, not an OFFSET out of range
    rows = list(db.session.execute(items, {**params, "limit": per_page, "offset": (page - 1) * per_page}))
    if total is None:
        if rows:
            total = rows[0].page_total
        else:
            total = (db.session.scalar(count, params) or 0) if page > 1 and count is not None else 0
    return Page(rows, page, per_page, total)
