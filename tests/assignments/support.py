"""Helpers for the assignment tests: an approved order with a pool, a customer, one assign."""
from __future__ import annotations

import threading

from models import Assignment, License, LicenseStatus, Order, OrderStatus, Role, User, db
from services.orders import assignments
from tests.factories import make_customer, make_order, make_product, make_user


def approved_order(user: User | None = None, quantity: int = 6, **product) -> Order:
    user = user or make_user(Role.RESELLER)
    return make_order(user, lines=[(make_product(**product), quantity)], status=OrderStatus.APPROVED)


def setup_pool(quantity: int = 6, **customer):
    """(user, order, customer): a reseller user, an approved order of `quantity`, an active customer."""
    user = make_user(Role.RESELLER)
    order = approved_order(user, quantity, name="Windows 11 Pro", sku="KW9-00632")
    customer = make_customer(user.reseller, **{"language": "en", **customer})
    db.session.commit()
    return user, order, customer


def assign(order: Order, customer, quantity: int, user: User) -> Assignment:
    assignment = assignments.assign_licenses(order, order.lines[0].id, customer, quantity, user)
    db.session.commit()
    return assignment


def count(status: LicenseStatus, order: Order | None = None) -> int:
    stmt = db.select(db.func.count(License.id)).where(License.status == status)
    if order is not None:
        stmt = stmt.where(License.order_line_id.in_([line.id for line in order.lines]))
    return db.session.scalar(stmt)


def race(count: int, action) -> list:
    """Run action(i) in `count` threads released at the same moment; returns results or exceptions."""
    barrier, results = threading.Barrier(count), [None] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = action(i)
        except Exception as exc:  # the test inspects what each thread got
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results
