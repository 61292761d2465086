"""Helpers for the provisioning, imports and browser tests: a ready cloud setup and scheduling through the service."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from models import Import, ProductKind, Subscription, TermsAcceptance, Vendor, db, utcnow
from services.provisioning import new_service, provisioning
from tests.factories import make_customer, make_product, make_user, make_vendor

TENANT = "0f4c2a9e-5b7d-4c1e-9a3f-2d6b8e7c1a50"


def microsoft() -> Vendor:
    return db.session.scalar(sa.select(Vendor).where(Vendor.name == "Microsoft")) or make_vendor("Microsoft")


def make_cloud_product(accepted_by=None, **kw):
    """A Microsoft cloud service with terms; `accepted_by` (a reseller) has accepted them."""
    fields = {"kind": ProductKind.SUBSCRIPTION, "vendor": microsoft(), "price": Decimal("15.00"),
              "cost": Decimal("12.50"), "billing_types": ["P1Y-monthly", "monthly"], "max_quantity": 300,
              "terms_text": "Microsoft Customer Agreement.", "terms_version": 1, **kw}
    product = make_product(**fields)
    if accepted_by is not None:
        db.session.add(TermsAcceptance(reseller_id=accepted_by.id, product_id=product.id,
                                       version=product.terms_version))
        db.session.flush()
    return product


def cloud_setup(**product_kw):
    """A reseller user, an active customer with a tenant id, and a cloud service whose terms were accepted."""
    user = make_user()
    customer = make_customer(user.reseller, tenant_id=TENANT)
    product = make_cloud_product(accepted_by=user.reseller, **product_kw)
    db.session.commit()
    return user, customer, product


def schedule(user, customer, product, run_at: datetime | None = None, min_lead=timedelta(0), **config) -> Import:
    """Schedule through the real service (as the wizard's last step does) and commit."""
    draft = new_service.get_draft(user, customer, create=True)
    draft.choose(product)
    draft.config = {**new_service.default_config(product, customer), **config}
    imp = provisioning.schedule_import(draft, customer, user, run_at, min_lead=min_lead)
    db.session.commit()
    return imp


def due_now(user, customer, product, **config) -> Import:
    """An import that is already due, with no job sent (the caller runs it)."""
    imp = schedule(user, customer, product, run_at=utcnow() + timedelta(seconds=5), **config)
    imp.run_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    return imp


def subscriptions_of(import_id: int) -> list[Subscription]:
    db.session.expire_all()
    imp = db.session.get(Import, import_id)
    return list(db.session.scalars(sa.select(Subscription).where(
        Subscription.import_item_id.in_([item.id for item in imp.items]))))


# --- the New service wizard (tests/provisioning/test_wizard.py, tests/i18n/test_time_zones.py) ----

CONFIG = {"name": "M365 for Acme", "quantity": "5", "billing_type": "P1Y-monthly", "end_date_alignment": "",
          "tenant_id": TENANT, "partner_id": "1234567", "notify_me": "y", "billing_start": "",
          "is_billable": "y", "contract_id": "CT-1", "quote_id": "Q-9"}


def url(customer, step=""):
    return f"/customers/{customer.id}/services/new" + (f"/{step}" if step else "")


def wizard_setup(login):
    """A reseller user logged in (`login` fixture), a customer and a cloud product whose terms are not accepted yet."""
    user, customer, product = cloud_setup()
    product.terms_text = "The vendor's terms."
    db.session.execute(sa.delete(TermsAcceptance))  # not accepted yet
    db.session.commit()
    login(user)
    return user, customer, product


def configured(client, setup):
    user, customer, product = setup
    client.post(url(customer, "select"), data={"product_id": product.id})
    client.post(url(customer, "terms"), data={"accept": "y"})
    response = client.post(url(customer, "configure"), data=CONFIG)
    assert response.status_code == 303 and response.headers["Location"].endswith("/review")
    return user, customer, product
