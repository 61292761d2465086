"""A reseller's end customers: search, create, edit, deactivate."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from models import Customer, CustomerStatus, Import, ImportItem, ImportStatus, Product, Reseller, Subscription, User, db
from services import DomainError, audit, search
from services.mail.addresses import AddressError, clean_address
from services.paging import Page, Sort, page_of, sorted_by

PER_PAGE = 20
EDITABLE = ("code", "name", "email", "domain", "tax_id", "country", "city", "address", "zip_code",
            "contact_name", "phone", "tenant_id", "language", "currency", "billing_start")


class CustomerError(DomainError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# The columns the customer list sorts by (?sort=name, ?sort=-name), by code unless asked.
SORTS = {"code": Customer.code, "name": Customer.name, "email": Customer.email, "domain": Customer.domain,
         "country": Customer.country, "status": Customer.status}
BY_CODE = Sort("code")


def search_customers(reseller_id: int, q: str = "", page: int = 1, per_page: int = PER_PAGE,
                     sort: Sort = BY_CODE) -> Page:
    """One page of the reseller's customers in `sort` order (past the end: the last page); `q` matches code,
    name, e-mail or domain."""
    where = [Customer.reseller_id == reseller_id]
    if q:
        where.append(search.contains(q, Customer.code, Customer.name, Customer.email, Customer.domain))
    count = sa.select(sa.func.count()).select_from(Customer).where(*where)
    return page_of(sorted_by(sa.select(Customer).where(*where), sort, SORTS, Customer.id), page, per_page, count=count,
                   last_when_past_end=True)


def get_customer(reseller_id: int, customer_id: int) -> Customer | None:
    """The customer if it belongs to this reseller (tenant isolation), else None. Read with Session.get (the
    identity map may already hold it) and its reseller compared here."""
    customer = db.session.get(Customer, customer_id)
    return customer if customer is not None and customer.reseller_id == reseller_id else None


def subscriptions_of(customer: Customer) -> list[sa.Row]:
    """The customer's subscriptions, newest first, as rows of what its page shows (with product_name and
    product_sku)."""
    return list(db.session.execute(
        sa.select(Subscription.id, Subscription.name, Subscription.quantity, Subscription.billing_type,
                  Subscription.status, Subscription.created_at, Subscription.cancellable_until,
                  Product.name.label("product_name"), Product.sku.label("product_sku"))
        .join(Subscription.product).where(Subscription.customer_id == customer.id)
        .order_by(Subscription.created_at.desc())))


def scheduled_imports(customer: Customer, limit: int = 20) -> list[sa.Row]:
    """Provisioning waiting or running for this customer (its subscription appears once it completes), as rows of
    what the customer page shows: name, run_at, status."""
    return list(db.session.execute(
        sa.select(Import.name, Import.run_at, Import.status).join(Import.items)
        .where(ImportItem.customer_id == customer.id, Import.status.in_((ImportStatus.PENDING, ImportStatus.RUNNING)))
        .order_by(Import.run_at).limit(limit)))


def create_customer(reseller: Reseller, actor: User, **fields: Any) -> Customer:
    """A new ACTIVE customer; the code must be unique within the reseller."""
    customer = Customer(reseller_id=reseller.id, currency=reseller.currency, country=reseller.country)
    _apply(customer, fields)
    db.session.add(customer)
    db.session.flush()
    audit.record(actor, "customer.created", customer, code=customer.code)
    return customer


def update_customer(customer: Customer, actor: User, **fields: Any) -> Customer:
    _apply(customer, fields)
    db.session.flush()
    audit.record(actor, "customer.updated", customer, code=customer.code)
    return customer


def set_active(customer: Customer, actor: User, active: bool) -> None:
    """Deactivate (no new services or licenses for it) or reactivate a customer."""
    customer.status = CustomerStatus.ACTIVE if active else CustomerStatus.INACTIVE
    db.session.flush()
    audit.record(actor, "customer.activated" if active else "customer.deactivated", customer)


def _apply(customer: Customer, fields: dict[str, Any]) -> None:
    values = {k: v for k, v in fields.items() if k in EDITABLE}
    for key, value in values.items():
        if isinstance(value, str) or (value is None and key != "billing_start"):
            values[key] = (value or "").strip()
    if not values.get("code"):
        raise CustomerError(_("Enter the customer's code."), "code")
    if not values.get("name"):
        raise CustomerError(_("Enter the customer's legal name."), "name")
    try:
        values["email"] = clean_address(values.get("email") or "")
    except AddressError as exc:
        raise CustomerError(str(exc), "email") from None
    values["country"] = (values.get("country") or "").upper()
    values["currency"] = (values.get("currency") or customer.currency or "USD").upper()
    _check_code_is_free(customer, values["code"])
    for key, value in values.items():
        setattr(customer, key, value)


def _check_code_is_free(customer: Customer, code: str) -> None:
    taken = db.session.scalar(sa.select(Customer.id).where(
        Customer.reseller_id == customer.reseller_id, Customer.code == code,
        Customer.id != customer.id if customer.id else sa.true()))
    if taken is not None:
        raise CustomerError(_("You already have a customer with the code %(code)s.", code=code), "code")
