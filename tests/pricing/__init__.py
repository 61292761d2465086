"""Issue 22, prices as each role sees them: services.catalog.pricing, price lists, and where they show."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from models import PriceOverride, ResellerDiscount, db


def discount(reseller, percent: str, starts_on: date, ends_on: date | None = None) -> ResellerDiscount:
    entry = ResellerDiscount(reseller_id=reseller.id, percent=Decimal(percent), starts_on=starts_on, ends_on=ends_on)
    db.session.add(entry)
    db.session.flush()
    return entry


def override(reseller, product, price: str, starts_on: date, ends_on: date | None = None) -> PriceOverride:
    entry = PriceOverride(reseller_id=reseller.id, product_id=product.id, price=Decimal(price), starts_on=starts_on,
                          ends_on=ends_on)
    db.session.add(entry)
    db.session.flush()
    return entry
