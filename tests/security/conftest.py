"""Helpers for the security tests: catching any write to the database during a request."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from models import db

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|TRUNCATE)\b", re.IGNORECASE)


class WriteRecorder:
    """Every SQL statement that writes, as the database driver sees it (ORM flushes and raw UPDATEs)."""

    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if WRITE.match(statement):
            self.statements.append(statement.split("\n")[0][:120])


@pytest.fixture
def db_writes(app):
    recorder = WriteRecorder()
    event.listen(db.engine, "before_cursor_execute", recorder)
    yield recorder
    event.remove(db.engine, "before_cursor_execute", recorder)


@pytest.fixture
def make_app(app_config, app):
    """Another app on the test database with some settings changed; its connections closed after.
    The test runs in `app`'s context, so its rows are deleted after it."""
    from app import create_app

    apps = []

    def _make(**overrides):
        apps.append(create_app({**app_config, **overrides}))
        return apps[-1]

    yield _make
    for other in apps:
        with other.app_context():
            db.engine.dispose()
        other.redis_conn.close()  # rq-dashboard's connection
