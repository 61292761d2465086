"""Vendors (brands), categories, the products resellers buy, and their prices.

A product carries three amounts, each with a dated history (ProductPrice):
- `price`, the reseller price: what a reseller pays the distributor ("Cost" on the reseller's screens),
  before its price list (ResellerDiscount, PriceOverride) is applied: services.catalog.pricing;
- `msrp`, the suggested selling price: what the reseller may charge its customer ("Selling price");
- `cost`, the distributor's own cost: staff only (margins), never rendered to a reseller.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import TimestampMixin, db, intpk, money, str255, utcnow
from models.types import enum_column

if TYPE_CHECKING:
    from models.accounts import User


class ProductKind(StrEnum):
    LICENSE = "license"            # ESD: one key per unit, bought through the cart
    SUBSCRIPTION = "subscription"  # cloud: provisioned for a customer at a scheduled time


def N_(msgid: str) -> str:
    """Marks a msgid for extraction (one of pybabel's default keywords); translated where it is shown."""
    return msgid


# Billing type code -> label shown to resellers (a msgid: {{ _(label) }} in a list's rows, _l() in form choices).
# A product lists the codes it offers. Each label reads the same wherever a billing type is shown: the same words
# as its term (services.subscriptions.terms.TERMS): how often it is billed, then how long it commits.
BILLING_TYPES = {
    "one-time": N_("One-time, 1-month term"),
    "monthly": N_("Monthly, 1-month term"),
    "P1Y-monthly": N_("Monthly, 1-year commitment"),
    "P1Y-annual": N_("Annual (paid upfront), 1-year commitment"),
    "P3Y-annual": N_("Annual, 3-year commitment"),
}

# Months a billing type commits the customer to (for the commitment total).
COMMITMENT_MONTHS = {"one-time": 0, "monthly": 1, "P1Y-monthly": 12, "P1Y-annual": 12, "P3Y-annual": 36}


class PriceUnit(StrEnum):
    """What one unit of a product is, in "per user and month"."""

    UNIT = "unit"
    USER = "user"
    DEVICE = "device"


class Vendor(TimestampMixin, db.Model):
    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    active: Mapped[bool] = mapped_column(default=True)


class Category(TimestampMixin, db.Model):
    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    active: Mapped[bool] = mapped_column(default=True)


SEARCH_TEXT = "lower(name || ' ' || sku || ' ' || tags)"


class Product(TimestampMixin, db.Model):
    # The catalog lists by brand name, then product name: walking this index in order lets a search stop
    # after one page of matches instead of sorting every match (it also serves lookups by vendor_id).
    __table_args__ = (sa.Index("ix_product_vendor_id_name", "vendor_id", "name", "id"),)

    id: Mapped[intpk]
    sku: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str255]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    vendor_id: Mapped[int] = mapped_column(sa.ForeignKey("vendor.id"))
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("category.id"), index=True)
    kind: Mapped[ProductKind] = enum_column(ProductKind)
    price: Mapped[money]  # the reseller price, before any reseller's price list
    msrp: Mapped[money]   # the suggested selling price
    cost: Mapped[money]   # the distributor's own cost: staff only
    unit: Mapped[PriceUnit] = enum_column(PriceUnit, default=PriceUnit.UNIT, server_default=PriceUnit.UNIT.value)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    billing_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    terms_text: Mapped[str] = mapped_column(sa.Text, default="")
    terms_version: Mapped[int] = mapped_column(default=1)
    once_per_account: Mapped[bool] = mapped_column(default=False)
    prerequisite_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product.id"))
    tags: Mapped[str] = mapped_column(sa.String(255), default="")  # comma-separated, searched with LIKE
    max_quantity: Mapped[int] = mapped_column(default=1000)
    active: Mapped[bool] = mapped_column(default=True)
    # What a catalog search reads (with the brand's name): one LIKE on lowercased text. Four ILIKEs on
    # PostgreSQL took ten times as long, and read every product for a rare term.
    search_text: Mapped[str | None] = mapped_column(sa.Text, sa.Computed(SEARCH_TEXT, persisted=True))

    vendor: Mapped[Vendor] = relationship()
    category: Mapped[Category] = relationship()
    prerequisite: Mapped[Product | None] = relationship(remote_side="Product.id")

    @property
    def tag_list(self) -> list[str]:
        return tag_list(self.tags)

    @property
    def margin(self) -> Decimal:
        return self.price - self.cost


def tag_list(tags: str) -> list[str]:
    """The tags of a product's comma-separated `tags` (also the |tag_list template filter)."""
    return [t.strip() for t in tags.split(",") if t.strip()]


class ProductPrice(db.Model):
    """A product's price, MSRP and cost from `effective_at` on: "billed at the price of that day" reads it."""

    id: Mapped[intpk]
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"))
    price: Mapped[money]
    msrp: Mapped[money]
    cost: Mapped[money]
    effective_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    changed_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.Index("ix_product_price_product_effective", "product_id", "effective_at"),)


class ResellerDiscount(TimestampMixin, db.Model):
    """A reseller's discount on every reseller price, in percent, from `starts_on` through `ends_on` (open if None).
    A reseller's discounts never overlap (services.catalog.price_lists checks it)."""

    id: Mapped[intpk]
    reseller_id: Mapped[int] = mapped_column(sa.ForeignKey("reseller.id"), index=True)
    percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class PriceOverride(TimestampMixin, db.Model):
    """A reseller's own price for one product (instead of the discounted reseller price), from `starts_on`
    through `ends_on` (open if None). A reseller's overrides of one product never overlap."""

    id: Mapped[intpk]
    reseller_id: Mapped[int] = mapped_column(sa.ForeignKey("reseller.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"), index=True)
    price: Mapped[money]
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    product: Mapped[Product] = relationship()

    __table_args__ = (sa.Index("ix_price_override_reseller_product", "reseller_id", "product_id", "starts_on"),)
