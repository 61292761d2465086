"""Keyset pagination, newest first: cheap on big tables (an index seek, no OFFSET scan)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import request

from models import db
from services.numbers import parse_int


@dataclass
class KeysetPage:
    items: list[Any]
    next_before: int | None  # pass as ?before= to get the next (older) page
    is_first: bool


def keyset_page(stmt: sa.Select, id_column: Any, per_page: int = 50) -> KeysetPage:
    """One page of `stmt` ordered by `id_column` descending, starting below ?before=<id> (the first page for a
    ?before= that cannot be an id)."""
    before = parse_int(request.args.get("before"), 1)
    if before is not None:
        stmt = stmt.where(id_column < before)
    rows = list(db.session.scalars(stmt.order_by(id_column.desc()).limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    return KeysetPage(rows, rows[-1].id if more else None, before is None)


def args_without(*keys: str) -> dict[str, str]:
    """The current query string minus `keys`, for links that keep the filters."""
    return {k: v for k, v in request.args.items() if k not in keys and v != ""}
