"""Declarative base, the shared `db`, column types and mixins."""
from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite keeps no zone, so store naive UTC there)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Canal stores aware UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={datetime: UTCDateTime()})


class Session(FlaskSession):
    """db.session. `run_without_transaction()` (a request that only reads) makes it run each statement on its
    own on PostgreSQL: no BEGIN and ROLLBACK, two round trips less per request, and each statement still sees
    what was committed before it, as inside a transaction at READ COMMITTED (PostgreSQL's level). SQLite's
    driver already reads without a transaction (it begins one only before a write)."""

    def run_without_transaction(self) -> None:
        self.info["autocommit"] = True

    def get_bind(self, *args, **kwargs):
        bind = super().get_bind(*args, **kwargs)
        if not self.info.get("autocommit") or not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
            return bind
        # One per engine and app: making it registers event listeners, ~0.13 ms.
        engines = current_app.extensions.setdefault("canal_autocommit_engines", {})
        if bind not in engines:
            engines[bind] = bind.execution_options(isolation_level="AUTOCOMMIT")
        return engines[bind]


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})


@sa.event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite in WAL mode: readers and the one writer no longer block each other, and a commit costs no fsync
    (synchronous=NORMAL; WAL keeps every commit safe from a crash of the app, only a power cut may lose the last
    ones). The default rollback journal fsyncs each commit: ~13 ms here, which capped a job at ~35 commits/s."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

@sa.event.listens_for(Engine, "do_connect")
def _sqlite_file_for_its_owner_only(dialect, connection_record, cargs, cparams) -> None:
    """An SQLite database (password hashes, sessions' users, license keys) is readable by its owner only: a new
    file is created 0600 (SQLite gives its -wal and -shm files the same mode), an older one is narrowed to it."""
    if dialect.name != "sqlite" or not cargs or cparams.get("uri") or cargs[0] in ("", ":memory:"):
        return
    path = cargs[0]
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)
    except OSError:
        pass  # no such folder, or not ours to change: SQLite says what is wrong when it opens the file


intpk = Annotated[int, mapped_column(primary_key=True)]
str255 = Annotated[str, mapped_column(sa.String(255))]
money = Annotated[Decimal, mapped_column(sa.Numeric(14, 2))]


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def insert_ignoring_duplicates(model: type, conflict: list[str], **values) -> None:
    """INSERT unless a row with the same unique key (`conflict`, its columns) exists: a get-or-create that
    cannot race (ON CONFLICT DO NOTHING, PostgreSQL and SQLite)."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.session.get_bind().dialect.name]
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict))
