"""A request that only reads (GET) runs its statements without a transaction on PostgreSQL, which saves the
BEGIN and ROLLBACK round trips; a POST still runs in one transaction (models.base.Session)."""
import sqlite3
from decimal import Decimal

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import event

from models import Role, db
from tests.factories import make_product, make_user


def in_transaction(dbapi_connection) -> bool:
    if isinstance(dbapi_connection, sqlite3.Connection):
        return dbapi_connection.in_transaction
    return dbapi_connection.info.transaction_status != TransactionStatus.IDLE


@pytest.fixture
def statements(app):
    """(SQL, whether it ran inside a transaction) of every statement, in order."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, in_transaction(conn.connection.dbapi_connection)))

    event.listen(db.engine, "after_cursor_execute", record)
    yield seen
    event.remove(db.engine, "after_cursor_execute", record)


def test_a_get_runs_every_statement_outside_a_transaction(client, login, statements):
    login(make_user(Role.RESELLER))
    make_product(price=Decimal("10.00"))
    db.session.commit()
    statements.clear()
    assert client.get("/catalog/?q=product").status_code == 200
    assert len(statements) >= 2  # the user, then the search
    assert [sql for sql, inside in statements if inside] == []


def test_a_post_runs_in_one_transaction(client, login, statements):
    login(make_user(Role.RESELLER))
    product = make_product(price=Decimal("10.00"))
    db.session.commit()
    statements.clear()
    client.post("/cart/lines", data={"product_id": product.id, "quantity": "2"})
    writes = [inside for sql, inside in statements if sql.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert writes and all(writes)
    if db.engine.dialect.name == "postgresql":  # SQLite's driver begins only before the first write
        assert all(inside for _sql, inside in statements)
