"""Reseller A's objects, one of every kind a reseller URL can name, made through the factories and services."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from models import EmailStatus, Import, ImportStatus, OrderStatus, db, utcnow
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
            "failed_import": failed_import, "draft": draft, "upload": upload, "file_import": file_import}


def snapshot() -> dict[str, list]:
    """Every row of every table: a request that changed anything shows up as a difference."""
    db.session.expire_all()
    with db.engine.connect() as conn:
        return {table.name: sorted(map(repr, conn.execute(sa.select(table)).all()))
                for table in db.metadata.sorted_tables}


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]
