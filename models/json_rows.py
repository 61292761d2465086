"""Many rows as one JSON parameter, for a batch's bulk UPDATE … FROM and INSERT … SELECT.

An executemany runs its statement once per row: on PostgreSQL a batch of 250 imports made 250 UPDATEs per
table. Here the rows travel as one JSON array that the database turns
back into a table (`json_to_recordset` on PostgreSQL, `json_each` on SQLite), so a batch is one statement
whatever its size, and the statement is the same text every time (SQLAlchemy compiles it once).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from models.base import db


class JsonRows:
    """Rows with the names and types of some table columns, sent as the JSON parameter :rows.

    `table()` is the FROM clause to build a statement on (for the database in use: the SQL differs);
    `param(rows)` is the value to bind to :rows, each row a mapping by column name.
    """

    def __init__(self, *columns: sa.Column, name: str = "v"):
        self.columns, self.name = columns, name
        self._encoders: dict[str, list[tuple[str, Callable | None]]] = {}

    def table(self) -> sa.Subquery:
        dialect = db.engine.dialect
        if dialect.name == "postgresql":
            types = ", ".join(f"{c.name} {c.type.compile(dialect)}" for c in self.columns)
            sql = f"SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS r({types})"
        else:  # SQLite: each value is already what SQLAlchemy would have stored (see _build_encoders); each row is
            # an array, its values in the columns' order: json_extract parses the row once per column, and a
            # position costs less than a key (a batch of e-mail rows went from ~35 to ~12 µs a row)
            picks = ", ".join(f"json_extract(value, '$[{n}]') AS {c.name}" for n, c in enumerate(self.columns))
            sql = f"SELECT {picks} FROM json_each(:rows)"
        return sa.text(sql).columns(*(sa.column(c.name, c.type) for c in self.columns)).subquery(self.name)

    def param(self, rows: Iterable[Mapping[str, Any]]) -> str:
        dialect = db.engine.dialect
        if dialect.name not in self._encoders:
            self._encoders[dialect.name] = self._build_encoders(dialect)
        encoders = self._encoders[dialect.name]
        if dialect.name == "postgresql":
            return json.dumps([{name: row[name] for name, _encode in encoders} for row in rows],
                              default=str, separators=(",", ":"))
        return json.dumps([[encode(row[name]) if encode else row[name] for name, encode in encoders]
                           for row in rows], default=str, separators=(",", ":"))

    def _build_encoders(self, dialect) -> list[tuple[str, Callable | None]]:
        if dialect.name == "postgresql":
            # json_to_recordset parses the dates and decimals (sent as text by default=str) itself, and a
            # JSON column's value stays nested JSON.
            return [(c.name, None) for c in self.columns]
        # SQLite keeps what the type's bind processor makes (dates as text, decimals as floats, JSON as
        # text), and json_extract hands a JSON scalar back unchanged.
        return [(c.name, _kept(c.type, c.type.dialect_impl(dialect).bind_processor(dialect))) for c in self.columns]


def _kept(column_type: sa.types.TypeEngine, encode: Callable | None) -> Callable | None:
    """A time's text kept for the next rows: a batch's rows share a few times (its run's `now` and what follows
    from it), and each costs a zone conversion and a formatting (~2 µs)."""
    kind = column_type.impl if isinstance(column_type, sa.TypeDecorator) else column_type
    return lru_cache(maxsize=256)(encode) if encode and isinstance(kind, sa.Date | sa.DateTime) else encode
