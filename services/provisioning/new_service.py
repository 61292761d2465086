"""The New service wizard's helpers: the cloud catalog search, the draft, defaults and the quote."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from models import COMMITMENT_MONTHS, Category, Customer, Product, ProductKind, ServiceDraft, User, Vendor, db, utcnow
from services import search
from services.catalog import pricing
from services.numbers import parse_int
from services.provisioning.provisioning_rules import load_facts, service_available


def search_services(q: str = "", limit: int = 50) -> list[Product]:
    """Cloud services the catalog offers (they, their brand and their category active) whose name, code, tags or
    vendor match `q`."""
    stmt = (sa.select(Product).join(Vendor).join(Category)
            .where(Product.kind == ProductKind.SUBSCRIPTION, Product.active, Vendor.active, Category.active)
            .options(contains_eager(Product.vendor), contains_eager(Product.category))
            .order_by(Vendor.name, Product.name).limit(limit))
    if q.strip():
        stmt = stmt.where(search.contains(q.strip(), Product.name, Product.sku, Product.tags, Vendor.name))
    return list(db.session.scalars(stmt))


def get_service(product_id: int | None) -> Product | None:
    """The cloud service if the catalog offers it (see provisioning_rules.service_available), else None."""
    product = db.session.get(Product, product_id) if product_id else None
    if product is None or product.kind is not ProductKind.SUBSCRIPTION or not service_available(product):
        return None
    return product


def get_draft(user: User, customer: Customer, create: bool = False) -> ServiceDraft | None:
    draft = db.session.scalar(sa.select(ServiceDraft).where(ServiceDraft.user_id == user.id,
                                                            ServiceDraft.customer_id == customer.id))
    if draft is None and create:
        draft = ServiceDraft(user_id=user.id, customer_id=customer.id, config={})
        db.session.add(draft)
        db.session.flush()
    return draft


def discard_draft(user: User, customer: Customer) -> None:
    """Start over: the user's draft for this customer is gone."""
    db.session.execute(sa.delete(ServiceDraft).where(ServiceDraft.user_id == user.id,
                                                     ServiceDraft.customer_id == customer.id))


def owned_services(customer: Customer) -> set[int]:
    """The product ids of the customer's live subscriptions (what a prerequisite asks for)."""
    return load_facts(set(), {customer.id}).owned.get(customer.id, set())


def default_config(product: Product, customer: Customer) -> dict[str, Any]:
    return {"name": product.name, "quantity": 1, "billing_type": (product.billing_types or [""])[0],
            "end_date_alignment": "", "tenant_id": customer.tenant_id, "partner_id": "", "notify_me": True,
            "billing_start": "", "is_billable": True, "contract_id": "", "quote_id": ""}


@dataclass(frozen=True)
class Quote:
    """What the reseller pays, "Cost" on its review: its reseller price (services.catalog.pricing, its price list
    applied), and the suggested "Selling price" (MSRP). Never the distributor's own cost (Product.cost)."""

    currency: str
    quantity: int
    months: int  # the commitment, in months (1 for month-to-month and one-time)
    unit_price: Decimal
    unit_msrp: Decimal

    @property
    def monthly_price(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def commitment_price(self) -> Decimal:
        return self.monthly_price * self.months

    @property
    def monthly_msrp(self) -> Decimal:
        return self.unit_msrp * self.quantity

    @property
    def commitment_msrp(self) -> Decimal:
        return self.monthly_msrp * self.months


def quote(product: Product, config: dict[str, Any], reseller_id: int | None) -> Quote:
    """Today's prices for the reseller; the subscription itself takes the price of the day it is created."""
    months = max(COMMITMENT_MONTHS.get(str(config.get("billing_type")), 1), 1)
    prices = pricing.reseller_prices(reseller_id, [product], utcnow())[product.id]
    return Quote(product.currency, parse_int(config.get("quantity")) or 0, months, prices.price, prices.msrp)


def service_prices(reseller_id: int | None, services: list[Product]) -> dict[int, pricing.ResellerPrice]:
    """Today's prices of these services for the reseller, by product id."""
    return pricing.reseller_prices(reseller_id, services, utcnow())
