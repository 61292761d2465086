"""Reseller A's objects, one of every kind a reseller URL can name, made through the factories and services."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from models import ChargeKind, EmailStatus, Import, ImportStatus, OrderStatus, Statement, db, utcnow
from services.billing import ledger, statements
from services.imports import bulk_import, csv_import, uploads
from services.orders import assignments, cart
from services.provisioning import new_service
from tests.factories import make_customer, make_order, make_product, make_user
from tests.provisioning import TENANT, make_cloud_product, schedule
from tests.subscriptions import make_subscription

SECRET_NAME = "Zebra-Secret-Customer-of-A"  # must never appear in anything B receives


def reseller_a_world() -> dict[str, object]:
    user = make_user(name="Ana of A")
    customer = make_customer(user.reseller, tenant_id=TENANT, name=SECRET_NAME, code="A-SECRET-1")
    approved = make_order(user, lines=[(make_product(), 4)], status=OrderStatus.APPROVED)
    pending = make_order(user)
    line = cart.add_to_cart(user, make_product().id, 1)
    assignment = assignments.assign_licenses(approved, approved.lines[0].id, customer, 2, user)
    db.session.commit()
    email = assignments.emails_of(assignment)[0]
    email.status = EmailStatus.FAILED  # so that "retry" would change something
    cloud = make_cloud_product(accepted_by=user.reseller)
    statement = a_statement(user, customer)
    db.session.commit()
    pending_import = schedule(user, customer, cloud, run_at=utcnow() + timedelta(hours=1))
    failed_import = schedule(user, customer, cloud, run_at=utcnow() + timedelta(hours=2))
    db.session.execute(sa.update(Import).where(Import.id == failed_import.id).values(status=ImportStatus.FAILED))
    template = csv_import.template_csv("customers").encode()
    upload = uploads.save_upload(user.reseller, user, "customers", "a.csv", template)
    file_import = bulk_import.start_import(uploads.save_upload(user.reseller, user, "customers", "b.csv", template),
                                           user)
    draft = new_service.get_draft(user, customer, create=True)
    draft.choose(cloud)
    draft.config = new_service.default_config(cloud, customer)
    db.session.commit()
    subscription = make_subscription(user, customer, cloud)
    return {"user": user, "subscription": subscription,
            "customer": customer, "approved_order": approved, "pending_order": pending,
            "cart_line": line, "assignment": assignment, "email": email, "pending_import": pending_import,
            "failed_import": failed_import, "draft": draft, "upload": upload, "file_import": file_import,
            "statement": statement}


def a_statement(user, customer):
    """Last month's statement of A, with a line for A's secret customer."""
    period = statements.previous_period(utcnow())
    ledger.record_charge(reseller_id=user.reseller_id, customer_id=customer.id, kind=ChargeKind.ADJUSTMENT,
                         description="Support", quantity=1, unit_price=Decimal("5.00"), amount=Decimal("5.00"),
                         currency="USD", occurred_at=statements.period_bounds(period)[0], idempotency_key="a-secret")
    [statement_id] = statements.close_month(period)
    return db.session.get(Statement, statement_id)


def snapshot() -> dict[str, list]:
    """Every row of every table: a request that changed anything shows up as a difference."""
    db.session.expire_all()
    with db.engine.connect() as conn:
        return {table.name: sorted(map(repr, conn.execute(sa.select(table)).all()))
                for table in db.metadata.sorted_tables}


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]
