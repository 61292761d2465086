"""Generate a large, realistic dataset with bulk inserts (SQLite or PostgreSQL).

The bench user (bench@reseller1.test) belongs to reseller 1, which owns its even share of rows; the
other resellers exist so every query has to find that share among all the data. Every other approved order
gave 4 of its 10 licenses to one of its reseller's first ten customers (an assignment with its sent
activation e-mail; half of them activated), so the order and customer pages show what they would in use.
"""
from __future__ import annotations

import random
import time
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from models import (
    Assignment,
    Cart,
    CartLine,
    Category,
    Customer,
    Import,
    ImportItem,
    License,
    Order,
    OrderLine,
    OutboxEmail,
    Product,
    Reseller,
    Subscription,
    User,
    Vendor,
    db,
    utcnow,
)
from services.accounts.passwords import hash_password
from services.demo import DEMO_PASSWORD

CHUNK = 5000
SIZES = {
    "full": dict(resellers=1000, products=10000, customers=200_000, licenses=1_000_000, imports=100_000),
    "small": dict(resellers=1, products=10000, customers=200, licenses=1000, imports=100),
}
LICENSES_PER_ORDER = 10
ASSIGNED_PER_ORDER = 4  # every other approved order gave this many of its licenses to a customer
BENCH_EMAIL = "bench@reseller1.test"
CART_LINES = 10
# My imports shows every state: mostly completed, some failed, cancelled and (far in the future) pending.
IMPORT_STATES = ("COMPLETED",) * 7 + ("FAILED", "CANCELLED", "PENDING")


def generate(size: str = "full", seed: int = 7) -> dict[str, float]:
    """Insert the dataset into the (empty, migrated) database; returns seconds per table."""
    n = SIZES[size]
    rnd = random.Random(seed)
    timings: dict[str, float] = {}
    now = utcnow()
    password = hash_password(DEMO_PASSWORD)

    def timed(name, rows):
        start = time.perf_counter()
        _insert(name, rows)
        timings[name] = round(time.perf_counter() - start, 2)

    timed("reseller", ({"id": i, "name": f"Reseller {i} S.A.", "tax_id": f"21{i:010d}", "country": "UY",
                        "currency": "USD", "status": "ACTIVE", "created_at": now}
                       for i in range(1, n["resellers"] + 1)))
    timed("user", _users(n["resellers"], password, now))
    timed("vendor", ({"id": i, "name": f"Vendor {i}", "slug": f"vendor-{i}", "active": True, "created_at": now}
                     for i in range(1, 21)))
    timed("category", ({"id": i, "name": name, "slug": name.lower(), "active": True, "created_at": now}
                       for i, name in ((1, "ESD"), (2, "Cloud"))))
    timed("product", _products(n["products"], rnd, now))
    timed("customer", _customers(n["customers"], n["resellers"], now))
    orders = n["licenses"] // LICENSES_PER_ORDER
    timed("order", _orders(orders, n["resellers"], now))
    timed("order_line", ({"id": i, "order_id": i, "product_id": (i % 5000) * 2 + 1,
                          "sku": f"ESD-{(i % 5000) * 2 + 1:06d}",
                          "product_name": f"Product {(i % 5000) * 2 + 1}", "vendor_name": "Vendor 1",
                          "quantity": LICENSES_PER_ORDER, "unit_price": Decimal("100.00")}
                         for i in range(1, orders + 1)))
    timed("assignment", _assignments(orders, n, now))
    timed("license", _licenses(orders, n, now))
    timed("outbox_email", _activation_emails(orders, n, now))
    timed("import", _imports(n["imports"], n["resellers"], now))
    timed("import_item", _import_items(n))
    timed("subscription", _subscriptions(n, now))
    timed("cart", [{"id": 1, "user_id": 2, "created_at": now}])
    timed("cart_line", ({"id": i, "cart_id": 1, "product_id": 2 * i - 1, "quantity": i, "unit_price": Decimal("100.00"),
                         "created_at": now} for i in range(1, CART_LINES + 1)))
    _fix_sequences()
    return timings


def _users(resellers: int, password: str, now):
    yield {"id": 1, "email": "bench-staff@distributor.test", "name": "Bench staff", "password_hash": password,
           "role": "staff", "reseller_id": None, "enabled": True, "session_token": "s", "created_at": now}
    for i in range(1, resellers + 1):
        email = BENCH_EMAIL if i == 1 else f"user@reseller{i}.test"
        yield {"id": i + 1, "email": email, "name": f"User {i}", "password_hash": password, "role": "reseller",
               "reseller_id": i, "enabled": True, "session_token": f"t{i}", "created_at": now}


def _products(count: int, rnd: random.Random, now):
    for i in range(1, count + 1):
        cloud = i % 2 == 0
        price = Decimal(rnd.randrange(500, 50000)) / 100
        yield {"id": i, "sku": f"{'CLD' if cloud else 'ESD'}-{i:06d}",
               "name": f"Product {i} {'Cloud' if cloud else 'Pro'}",
               "description": "A product.", "vendor_id": i % 20 + 1, "category_id": 2 if cloud else 1,
               "kind": "subscription" if cloud else "license", "price": price, "msrp": price * Decimal("1.25"),
               "cost": price * Decimal("0.8"),
               "currency": "USD", "billing_types": ["monthly"] if cloud else ["one-time"], "terms_text": "",
               "terms_version": 1, "once_per_account": False, "prerequisite_id": None,
               "tags": "office,windows" if i % 3 else "security", "max_quantity": 1000, "active": True,
               "created_at": now}


def _customers(count: int, resellers: int, now):
    per = count // resellers
    for i in range(1, count + 1):
        yield {"id": i, "reseller_id": (i - 1) // per + 1, "code": f"C{i:07d}", "name": f"Customer {i} Ltda.",
               "email": f"it@customer{i}.test", "domain": f"customer{i}.test", "tax_id": "", "country": "UY",
               "city": "Montevideo", "address": "", "zip_code": "", "contact_name": "", "phone": "",
               "tenant_id": "", "language": "es", "currency": "USD", "billing_start": None, "status": "ACTIVE",
               "created_at": now}


def _customer_of(i: int, n: dict) -> int:
    """Each reseller's imports go to its first ten customers (so a customer page lists a few)."""
    per = n["customers"] // n["resellers"]
    reseller = (i - 1) // (n["imports"] // n["resellers"])
    return reseller * per + 1 + i % min(10, per)


def _import_state(i: int) -> str:
    return IMPORT_STATES[i % len(IMPORT_STATES)]


def _import_items(n: dict):
    for i in range(1, n["imports"] + 1):
        state = _import_state(i)
        yield {"id": i, "import_id": i, "customer_id": _customer_of(i, n), "product_id": 2, "status": state,
               "quantity": 1, "billing_type": "monthly", "config": {"name": f"Service {i}", "quantity": 1,
                                                                     "billing_type": "monthly"},
               "reasons": ["The service is not active."] if state == "FAILED" else [],
               "external_id": f"ext-{i}" if state == "COMPLETED" else "", "direct_payment": False}


def _subscriptions(n: dict, now):
    for i in range(1, n["imports"] + 1):
        if _import_state(i) == "COMPLETED":
            reseller = (i - 1) // (n["imports"] // n["resellers"]) + 1
            yield {"id": i, "reseller_id": reseller, "customer_id": _customer_of(i, n), "product_id": 2,
                   "import_item_id": i, "name": f"Service {i}", "quantity": 1, "billing_type": "monthly",
                   "tenant_id": "", "external_id": f"ext-{i}", "unit_price": Decimal("10.00"),
                   "unit_cost": Decimal("8.00"), "currency": "USD", "billing_start": None, "config": {},
                   "status": "ACTIVE", "cancellable_until": now + timedelta(days=7),
                   "created_at": now - timedelta(minutes=i), "term_start": now - timedelta(minutes=i),
                   "term_end": now + timedelta(days=30), "price_protected_until": now + timedelta(days=30),
                   "auto_renew": True}


def _orders(count: int, resellers: int, now):
    per = count // resellers
    for i in range(1, count + 1):
        yield {"id": i, "reseller_id": (i - 1) // per + 1, "user_id": (i - 1) // per + 2,
               "status": "PENDING" if _pending(i, count) else "APPROVED", "checkout_token": f"bench-{i}",
               "confirmation_email": "buyer@reseller.test", "description": f"PO-{i}", "delivery_method": "electronic",
               "delivery_comments": "", "payment_method": "on_account", "currency": "USD", "tax_rate": Decimal("0"),
               "subtotal": Decimal("1000.00"), "tax": Decimal("0.00"), "total": Decimal("1000.00"),
               "decided_at": None, "decided_by_id": None, "rejection_reason": "", "cancelled_at": None,
               "created_at": now - timedelta(minutes=count - i)}


def _pending(order_id: int, orders: int) -> bool:
    """Every 10th order waits for approval; in the small dataset every 4th, so that the approvals page
    shows a full page (20) there too and the two page times compare the same rows."""
    return order_id % (10 if orders > 1000 else 4) == 0


def _assigned(order_id: int, orders: int) -> bool:
    return order_id % 2 == 1 and not _pending(order_id, orders)


def _assignee(order_id: int, n: dict) -> int:
    """The customer an assigned order's licenses went to: one of its reseller's first ten customers."""
    orders = n["licenses"] // LICENSES_PER_ORDER
    reseller = (order_id - 1) // (orders // n["resellers"])
    return reseller * (n["customers"] // n["resellers"]) + 1 + order_id // 2 % min(10, n["customers"] // n["resellers"])


def _licenses(orders: int, n: dict, now):
    license_id = 0
    for order in range(1, orders + 1):
        approved, assigned = not _pending(order, orders), _assigned(order, orders)
        activated = assigned and order % 4 == 1
        for seq in range(1, LICENSES_PER_ORDER + 1):
            license_id += 1
            given = assigned and seq <= ASSIGNED_PER_ORDER
            status = ("ACTIVATED" if activated else "ASSIGNED") if given else "AVAILABLE" if approved else "PENDING"
            yield {"id": license_id, "order_line_id": order, "seq": seq,
                   "key": f"KEY{license_id:012d}" if approved else None, "status": status,
                   "customer_id": _assignee(order, n) if given else None, "assignment_id": order if given else None,
                   "assigned_at": now - timedelta(minutes=orders - order) if given else None,
                   "activated_at": now - timedelta(minutes=orders - order - 5) if given and activated else None,
                   "created_at": now}


def _assignments(orders: int, n: dict, now):
    """One per assigned order, with the order's id (its only line has the order's id too)."""
    for order in range(1, orders + 1):
        if _assigned(order, orders):
            yield {"id": order, "order_line_id": order, "customer_id": _assignee(order, n),
                   "quantity": ASSIGNED_PER_ORDER, "created_by_id": (order - 1) // (orders // n["resellers"]) + 2,
                   "token": f"bench-token-{order}", "expires_at": now + timedelta(days=14),
                   "activated_at": now - timedelta(minutes=orders - order - 5) if order % 4 == 1 else None,
                   "created_at": now - timedelta(minutes=orders - order)}


def _activation_emails(orders: int, n: dict, now):
    for order in range(1, orders + 1):
        if _assigned(order, orders):
            yield {"id": order, "to_addr": f"it@customer{_assignee(order, n)}.test", "subject": "Your licenses",
                   "body_text": "Your license keys and how to activate them.", "body_html": "",
                   "template": "license_activation", "status": "SENT", "attempts": 1, "last_error": "",
                   "sent_at": now - timedelta(minutes=orders - order), "related_type": "Assignment",
                   "related_id": order, "created_at": now - timedelta(minutes=orders - order)}


def _imports(count: int, resellers: int, now):
    per = count // resellers
    for i in range(1, count + 1):
        reseller = (i - 1) // per + 1
        state = _import_state(i)
        done = state in ("COMPLETED", "FAILED")
        run_at = now + timedelta(days=300, minutes=i) if state == "PENDING" else now - timedelta(minutes=i)
        yield {"id": i, "reseller_id": reseller, "created_by_id": reseller + 1, "source": "scheduled",
               "account_type": "subscription", "name": f"Import {i}", "import_type": "CLD-000002",
               "status": state, "run_at": run_at, "started_at": run_at if done else None,
               "finished_at": run_at + timedelta(seconds=1) if done else None, "claim_token": None,
               "lease_until": None, "attempts": int(done), "completed_count": int(state == "COMPLETED"),
               "failed_count": int(state == "FAILED"), "created_at": now - timedelta(minutes=i)}


MODELS = {m.__table__.name: m for m in (Reseller, User, Vendor, Category, Product, Customer, Order, OrderLine,
                                         License, Assignment, OutboxEmail, Import, ImportItem, Subscription, Cart,
                                         CartLine)}


def _insert(table_name: str, rows) -> None:
    table = MODELS[table_name].__table__
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            db.session.execute(sa.insert(table), chunk)
            chunk = []
    if chunk:
        db.session.execute(sa.insert(table), chunk)
    db.session.commit()


def _fix_sequences() -> None:
    """PostgreSQL: move each id sequence past the explicit ids we inserted."""
    if db.engine.dialect.name != "postgresql":
        return
    for name in MODELS:
        db.session.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM \"{name}\"), 1))"))
    db.session.commit()
