"""A reseller's price list, as staff keep it: discounts on every reseller price and per-product prices (overrides),
each for a span of days (from `starts_on` through `ends_on`, open-ended without one).

A reseller's discounts never overlap, nor do its overrides of one product: on any day at most one applies
(services.catalog.pricing reads them). An entry is added or removed, never edited; each change is audited on
the reseller. The reseller's row is locked while an entry is checked and added, so two staff members adding
overlapping entries at once cannot both succeed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from models import PriceOverride, Product, Reseller, ResellerDiscount, User, db
from services import DomainError, audit

CENT = Decimal("0.01")
MAX_PRICE = Decimal("999999999999.99")  # what Numeric(14, 2) holds


class PriceListError(DomainError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field  # the form field the message belongs next to


@dataclass(frozen=True)
class PriceList:
    discounts: list[ResellerDiscount]
    overrides: list[PriceOverride]


def price_list(reseller: Reseller) -> PriceList:
    """The reseller's discounts and overrides, latest start first (overrides by product SKU, then latest first)."""
    discounts = db.session.scalars(sa.select(ResellerDiscount).where(ResellerDiscount.reseller_id == reseller.id)
                                   .order_by(ResellerDiscount.starts_on.desc(), ResellerDiscount.id.desc()))
    overrides = db.session.scalars(sa.select(PriceOverride).join(PriceOverride.product)
                                   .where(PriceOverride.reseller_id == reseller.id)
                                   .options(joinedload(PriceOverride.product))
                                   .order_by(Product.sku, PriceOverride.starts_on.desc(), PriceOverride.id.desc()))
    return PriceList(list(discounts), list(overrides))


def add_discount(reseller: Reseller, *, by: User, percent: Decimal | None, starts_on: date | None,
                 ends_on: date | None = None) -> ResellerDiscount:
    """A discount of `percent` % (0 to 100, two decimals at most) on every reseller price for those days."""
    if percent is None or not percent.is_finite() or not Decimal(0) <= percent <= Decimal(100):
        raise PriceListError(_("Enter a percentage from 0 to 100."), field="percent")
    _check_cents(percent, "percent")
    _check_days(starts_on, ends_on)
    _lock(reseller)
    stmt = sa.select(ResellerDiscount).where(ResellerDiscount.reseller_id == reseller.id)
    _check_no_overlap(stmt, ResellerDiscount, starts_on, ends_on)
    discount = ResellerDiscount(reseller_id=reseller.id, percent=percent.quantize(CENT), starts_on=starts_on,
                                ends_on=ends_on, created_by_id=by.id)
    db.session.add(discount)
    db.session.flush()
    audit.record(by, "price_list.discount_add", reseller, discount_id=discount.id, percent=str(discount.percent),
                 **_days(discount))
    return discount


def add_override(reseller: Reseller, *, by: User, sku: str, price: Decimal | None, starts_on: date | None,
                 ends_on: date | None = None) -> PriceOverride:
    """The reseller's own price of the product with this SKU for those days (instead of its discounted price)."""
    sku = " ".join((sku or "").split())
    product = db.session.scalar(sa.select(Product).where(sa.func.lower(Product.sku) == sku.lower())) if sku else None
    if product is None:
        raise PriceListError(_("No product has the SKU “%(sku)s”.", sku=sku), field="sku")
    if price is None or not price.is_finite() or not Decimal(0) <= price <= MAX_PRICE:
        raise PriceListError(_("Enter an amount of zero or more."), field="price")
    _check_cents(price, "price")
    _check_days(starts_on, ends_on)
    _lock(reseller)
    stmt = sa.select(PriceOverride).where(PriceOverride.reseller_id == reseller.id,
                                          PriceOverride.product_id == product.id)
    _check_no_overlap(stmt, PriceOverride, starts_on, ends_on)
    override = PriceOverride(reseller_id=reseller.id, product_id=product.id, price=price.quantize(CENT),
                             starts_on=starts_on, ends_on=ends_on, created_by_id=by.id)
    db.session.add(override)
    db.session.flush()
    audit.record(by, "price_list.override_add", reseller, override_id=override.id, sku=product.sku,
                 price=str(override.price), **_days(override))
    return override


def find_entry(reseller: Reseller, model: type[ResellerDiscount] | type[PriceOverride],
               entry_id: int) -> ResellerDiscount | PriceOverride | None:
    """One of this reseller's entries (None for another reseller's)."""
    entry = db.session.get(model, entry_id)
    return entry if entry is not None and entry.reseller_id == reseller.id else None


def remove_entry(reseller: Reseller, entry: ResellerDiscount | PriceOverride, *, by: User) -> None:
    """Remove a discount or an override: prices already recorded (orders, subscriptions) keep theirs."""
    if isinstance(entry, ResellerDiscount):
        action, details = "price_list.discount_remove", {"discount_id": entry.id, "percent": str(entry.percent)}
    else:
        action, details = "price_list.override_remove", {"override_id": entry.id, "sku": entry.product.sku,
                                                         "price": str(entry.price)}
    details.update(_days(entry))
    db.session.delete(entry)
    db.session.flush()
    audit.record(by, action, reseller, **details)


def _days(entry: ResellerDiscount | PriceOverride) -> dict[str, str | None]:
    return {"starts_on": entry.starts_on.isoformat(), "ends_on": entry.ends_on.isoformat() if entry.ends_on else None}


def _check_cents(value: Decimal, field: str) -> None:
    if value != value.quantize(CENT):
        raise PriceListError(_("Use at most two decimals."), field=field)


def _check_days(starts_on: date | None, ends_on: date | None) -> None:
    if starts_on is None:
        raise PriceListError(_("Enter the first day it applies."), field="starts_on")
    if ends_on is not None and ends_on < starts_on:
        raise PriceListError(_("The last day cannot be before the first."), field="ends_on")


def _check_no_overlap(stmt: sa.Select, model: type[ResellerDiscount] | type[PriceOverride], starts_on: date,
                      ends_on: date | None) -> None:
    """Two spans overlap when each starts before the other ends (an open end never ends)."""
    overlapping = [model.ends_on.is_(None) | (model.ends_on >= starts_on)]
    if ends_on is not None:
        overlapping.append(model.starts_on <= ends_on)
    other = db.session.scalar(stmt.where(*overlapping).order_by(model.starts_on).limit(1))
    if other is not None:
        raise PriceListError(_("These days overlap the entry from %(start)s to %(end)s.",
                               start=format_date(other.starts_on),
                               end=format_date(other.ends_on) if other.ends_on else _("no end")), field="starts_on")


def _lock(reseller: Reseller) -> None:
    """Serialize the price-list changes of one reseller before reading its entries: PostgreSQL locks the row;
    on SQLite a write that changes nothing takes the database's one write lock (as services.orders.cart does)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(Reseller.id).where(Reseller.id == reseller.id).with_for_update())
    else:
        db.session.execute(sa.update(Reseller).where(Reseller.id == reseller.id).values(id=Reseller.id)
                           .execution_options(synchronize_session=False))
