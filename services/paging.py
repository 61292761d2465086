"""Numbered pages of a list: the caller writes the items select (and, for a total, its count); page_of()
adds the window. A `Page` answers what templates/catalog/_pagination.html asks of Flask-SQLAlchemy's
Pagination.
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


def page_of(items: sa.Select, page: int, per_page: int, *, total: int | None = None,
            count: sa.Select | None = None) -> Page:
    """Page `page` (from 1; past the end it is empty) of `items`, as rows. The total is the caller's `total`, or
    `count`'s: each row carries it (as `page_total`), so a page is one query, and `count` runs on its own only
    for a page past the end."""
    page = min(max(page, 1), MAX_PAGE)  # a huge page number is an empty page, not an OFFSET out of range
    if count is not None:
        items = items.add_columns(count.correlate(None).scalar_subquery().label("page_total"))
    rows = list(db.session.execute(items.limit(per_page).offset((page - 1) * per_page)))
    if total is None:
        if rows:
            total = rows[0].page_total
        else:
            total = (db.session.scalar(count) or 0) if page > 1 and count is not None else 0
    return Page(rows, page, per_page, total)
