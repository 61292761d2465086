"""What a product costs a reseller on a given day, and what it may sell it for.

- The reseller price of product P on day D for reseller R: R's price override of P covering D if there is one
  (exactly that amount); otherwise P's reseller price (Product.price, as its history had it then) less R's
  discount covering D, if any: `price × (100 − percent) / 100`, rounded half up to the cent (Decimal).
- The suggested selling price (MSRP) is the product's, as its history had it then; price lists don't change it.
- The distributor's cost is not here: resellers never see it (Product.cost is for staff screens only).

`on` is a moment (a datetime: the price in effect at that moment, what provisioning records) or a day (a date:
the price in effect at the end of that UTC day, so today's is the current price). Price lists are by day.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from models import PriceOverride, Product, ProductPrice, Reseller, ResellerDiscount, db

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ResellerPrice:
    """A product's prices as a reseller sees them: `price` ("Cost") and `msrp` ("Selling price")."""

    price: Decimal
    msrp: Decimal
    list_price: Decimal  # the reseller price before the reseller's price list

    @property
    def reduced(self) -> bool:
        return self.price != self.list_price


def reseller_price(reseller: Reseller | int | None, product: Product, on: date | datetime) -> Decimal:
    """What `reseller` pays for one unit of `product` on `on` (None: no price list, the product's price)."""
    return reseller_prices(reseller, [product], on)[product.id].price


def reseller_prices(reseller: Reseller | int | None, products: Iterable[Product],
                    on: date | datetime) -> dict[int, ResellerPrice]:
    """Every product's ResellerPrice for `reseller` on `on`, by product id, in at most four queries."""
    reseller_id = reseller.id if isinstance(reseller, Reseller) else reseller
    priced = _price(((reseller_id, product) for product in products), on)
    return {product_id: price for (_reseller_id, product_id), price in priced.items()}


def prices_of_pairs(pairs: Iterable[tuple[int | None, Product]],
                    on: date | datetime) -> dict[tuple[int | None, int], Decimal]:
    """reseller_price of many (reseller id, product) pairs on `on` (a batch of imports of many resellers), by
    (reseller id, product id), in at most four queries."""
    return {key: price.price for key, price in _price(pairs, on).items()}


def _price(pairs: Iterable[tuple[int | None, Product]],
           on: date | datetime) -> dict[tuple[int | None, int], ResellerPrice]:
    pairs = {(reseller_id, product.id): product for reseller_id, product in pairs}
    if not pairs:
        return {}
    moment, day = _moment_and_day(on)
    listed = list_prices({product.id: product for product in pairs.values()}.values(), moment)
    reseller_ids = {reseller_id for reseller_id, _product_id in pairs if reseller_id is not None}
    discounts = _discounts(reseller_ids, day) if reseller_ids else {}
    overrides = _overrides(reseller_ids, {product_id for _r, product_id in pairs}, day) if reseller_ids else {}
    prices = {}
    for key in pairs:
        price, msrp = listed[key[1]]
        own = overrides.get(key)
        paid = own if own is not None else discounted(price, discounts.get(key[0]))
        prices[key] = ResellerPrice(price=paid, msrp=msrp, list_price=price)
    return prices


def discounted(price: Decimal, percent: Decimal | None) -> Decimal:
    """`price` less `percent` %, rounded half up to the cent."""
    if not percent:
        return price
    return (price * (HUNDRED - percent) / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def list_prices(products: Iterable[Product], moment: datetime) -> dict[int, tuple[Decimal, Decimal]]:
    """(reseller price, MSRP) of each product at `moment`, from its price history: the current columns unless
    the history has a change after `moment` (then the last entry at or before it, or the first entry)."""
    products = list(products)
    prices = {product.id: (product.price, product.msrp) for product in products}
    ids = [product.id for product in products]
    changed = set(db.session.scalars(sa.select(ProductPrice.product_id).distinct()
                                     .where(ProductPrice.product_id.in_(ids), ProductPrice.effective_at > moment)))
    if not changed:
        return prices
    history = db.session.execute(
        sa.select(ProductPrice.product_id, ProductPrice.price, ProductPrice.msrp, ProductPrice.effective_at)
        .where(ProductPrice.product_id.in_(changed))
        .order_by(ProductPrice.product_id, ProductPrice.effective_at, ProductPrice.id))
    first_seen = set()
    for product_id, price, msrp, effective_at in history:
        if product_id not in first_seen or effective_at <= moment:
            prices[product_id] = (price, msrp)
            first_seen.add(product_id)
    return prices


def discount_on(reseller_id: int, day: date) -> Decimal | None:
    """The reseller's discount percent covering `day`, if any."""
    return _discounts({reseller_id}, day).get(reseller_id)


def _discounts(reseller_ids: set[int], day: date) -> dict[int, Decimal]:
    rows = db.session.execute(sa.select(ResellerDiscount.reseller_id, ResellerDiscount.percent)
                              .where(ResellerDiscount.reseller_id.in_(reseller_ids), *_covers(ResellerDiscount, day))
                              .order_by(ResellerDiscount.starts_on))
    return dict(rows.all())


def _overrides(reseller_ids: set[int], product_ids: set[int], day: date) -> dict[tuple[int, int], Decimal]:
    rows = db.session.execute(sa.select(PriceOverride.reseller_id, PriceOverride.product_id, PriceOverride.price)
                              .where(PriceOverride.reseller_id.in_(reseller_ids),
                                     PriceOverride.product_id.in_(product_ids), *_covers(PriceOverride, day))
                              .order_by(PriceOverride.starts_on))
    return {(reseller_id, product_id): price for reseller_id, product_id, price in rows}


def _covers(model: type[ResellerDiscount] | type[PriceOverride], day: date) -> list[sa.ColumnElement[bool]]:
    return [model.starts_on <= day, sa.or_(model.ends_on.is_(None), model.ends_on >= day)]


def _moment_and_day(on: date | datetime) -> tuple[datetime, date]:
    if isinstance(on, datetime):
        moment = on.astimezone(UTC)
        return moment, moment.date()
    end_of_day = datetime.combine(on + timedelta(days=1), time(), tzinfo=UTC) - timedelta(microseconds=1)
    return end_of_day, on
