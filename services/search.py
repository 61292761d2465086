"""Text search in lists: a term found anywhere in one of some columns, whatever its case."""
from __future__ import annotations

import sqlalchemy as sa

from models import db


def like_pattern(term: str) -> str:
    """`%term%` with the term's own %, _ and \\ taken literally (use with escape="\\")."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def contains(term: str | sa.BindParameter, *columns: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """`term` in any of `columns`, ignoring case. A SQL expression (a literal or bind parameter) may stand for
    the term: its value is like_pattern(term).

    PostgreSQL needs ILIKE. SQLite's LIKE already ignores case, and ILIKE there becomes lower(x) LIKE lower(y),
    which folds the same ASCII letters only (SQLite's lower() knows no others) for about twice the time.
    """
    pattern = like_pattern(term) if isinstance(term, str) else term
    if db.engine.dialect.name == "sqlite":
        return sa.or_(*(column.like(pattern, escape="\\") for column in columns))
    return sa.or_(*(column.ilike(pattern, escape="\\") for column in columns))
