"""Rows sent as one JSON parameter are stored exactly as SQLAlchemy stores them row by row."""
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import Subscription, SubscriptionStatus, db
from models.json_rows import JsonRows
from tests.provisioning import cloud_setup

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app

COLUMNS = [c for c in Subscription.__table__.c if c.name not in ("id", "import_item_id")]
SUBSCRIPTIONS = JsonRows(*COLUMNS)


def values(customer, product, **kw) -> dict:
    moment = datetime(2026, 11, 22, 21, 5, 7, 123456, tzinfo=UTC)
    return {"reseller_id": customer.reseller_id, "customer_id": customer.id, "product_id": product.id,
            "name": "Café \"365\" ünïcode", "quantity": 3, "billing_type": "monthly", "tenant_id": "",
            "external_id": "ext-1", "unit_price": Decimal("15.40"), "unit_cost": Decimal("12.05"),
            "currency": "EUR", "billing_start": date(2026, 12, 1), "config": {"name": "x", "seats": [1, 2]},
            "status": SubscriptionStatus.ACTIVE, "created_at": moment, "cancellable_until": moment,
            "term_start": moment, "term_end": moment, "auto_renew": True, "price_protected_until": moment,
            "version": 0, **kw}


def stored(row_id: int) -> tuple:
    """The raw values in the database (SQLite's text formats included), not what the ORM makes of them."""
    names = ", ".join(c.name for c in COLUMNS)
    with db.engine.connect() as conn:
        row = conn.execute(sa.text(f"SELECT {names} FROM subscription WHERE id = :id"), {"id": row_id}).one()
    return tuple(row)


def insert_from_json(rows: list[dict]) -> list[int]:
    names = [c.name for c in COLUMNS]
    statement = (sa.insert(Subscription.__table__).from_select(names, sa.select(SUBSCRIPTIONS.table()))
                 .returning(Subscription.id))
    ids = list(db.session.scalars(statement, {"rows": SUBSCRIPTIONS.param(rows)}))
    db.session.commit()
    return sorted(ids)


def test_each_column_type_is_stored_as_the_orm_stores_it():
    user, customer, product = cloud_setup()
    by_orm = Subscription(**values(customer, product))
    db.session.add(by_orm)
    db.session.commit()
    [by_json] = insert_from_json([values(customer, product)])
    assert stored(by_json) == stored(by_orm.id)


def test_nulls_and_a_second_row_keep_their_order_of_values():
    user, customer, product = cloud_setup()
    ids = insert_from_json([values(customer, product, billing_start=None, external_id="a"),
                            values(customer, product, quantity=7, external_id="b")])
    first, second = db.session.scalars(sa.select(Subscription).where(Subscription.id.in_(ids))
                                       .order_by(Subscription.external_id))
    assert (first.billing_start, first.quantity) == (None, 3)
    assert (second.billing_start, second.quantity) == (date(2026, 12, 1), 7)
    assert second.unit_price == Decimal("15.40") and second.config == {"name": "x", "seats": [1, 2]}


def test_stored_times_compare_in_sql_as_times():
    """On SQLite times are text: a wrong format would sort and compare wrongly."""
    user, customer, product = cloud_setup()
    [row_id] = insert_from_json([values(customer, product)])
    before = datetime(2026, 11, 22, 21, 5, 7, 123455, tzinfo=UTC)
    after = datetime(2026, 11, 22, 21, 5, 7, 123457, tzinfo=UTC)
    found = db.session.scalars(sa.select(Subscription.id).where(Subscription.created_at > before,
                                                                 Subscription.created_at < after))
    assert list(found) == [row_id]
