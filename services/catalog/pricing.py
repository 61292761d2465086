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
from functools import cache

import sqlalchemy as sa

from models import PriceOverride, Product, ProductPrice, Reseller, ResellerDiscount, db
from models.json_rows import JsonRows

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
    """Every product's ResellerPrice for `reseller` on `on`, by product id, in one query (two if a price history
    changes after `on`)."""
    reseller_id = reseller.id if isinstance(reseller, Reseller) else reseller
    priced = _price(((reseller_id, product) for product in products), on)
    return {product_id: price for (_reseller_id, product_id), price in priced.items()}


def prices_of_pairs(pairs: Iterable[tuple[int | None, Product]],
                    on: date | datetime) -> dict[tuple[int | None, int], Decimal]:
    """reseller_price of many (reseller id, product) pairs on `on` (a batch of imports of many resellers), by
    (reseller id, product id), in one query (two if a price changes after `on`)."""
    return {key: price.price for key, price in _price(pairs, on).items()}


def _price(pairs: Iterable[tuple[int | None, Product]],
           on: date | datetime) -> dict[tuple[int | None, int], ResellerPrice]:
    pairs = {(reseller_id, product.id): product for reseller_id, product in pairs}
    if not pairs:
        return {}
    moment, day = _moment_and_day(on)
    terms = _terms(pairs, moment, day)
    changed = {product_id for (_reseller_id, product_id), (was_changed, _own, _percent) in terms.items()
               if was_changed}
    listed = {product.id: (product.price, product.msrp) for product in pairs.values()}
    if changed:
        listed.update(_history(changed, moment))
    prices = {}
    for key, (_changed, own, percent) in terms.items():
        price, msrp = listed[key[1]]
        paid = own if own is not None else discounted(price, percent)
        prices[key] = ResellerPrice(price=paid, msrp=msrp, list_price=price)
    return prices


# The (reseller id, product id) pairs being priced, as a table: a reseller of None (staff) has no price list.
_PAIRS = JsonRows(PriceOverride.__table__.c.reseller_id, PriceOverride.__table__.c.product_id, name="pair")


def _terms(pairs: Iterable[tuple[int | None, int]], moment: datetime,
           day: date) -> dict[tuple[int | None, int], tuple[bool, Decimal | None, Decimal | None]]:
    """Per pair, in one query: whether the product's price history changes after `moment`, and the reseller's
    override of the product and its discount covering `day` (a reseller's never overlap: one row per pair)."""
    table = _PAIRS.param({"reseller_id": reseller_id, "product_id": product_id} for reseller_id, product_id in pairs)
    rows = db.session.execute(_terms_select(db.engine.dialect.name), {"moment": moment, "day": day, "rows": table})
    return {(reseller_id, product_id): (bool(was_changed), own, percent)
            for reseller_id, product_id, was_changed, own, percent in rows}


@cache
def _terms_select(dialect: str) -> sa.Select:
    # Built once (per database kind, for JsonRows' table): the catalog, the cart and the product pages price on
    # every view, and building this select each time cost more than running it (callgrind: 3.8 M instructions
    # a call built each time, 1.4 M built once).
    # On the tables, not the mapped classes: a select of columns needs none of the ORM's work on each execution.
    pair, history = _PAIRS.table(), ProductPrice.__table__.c
    discount, override = ResellerDiscount.__table__.c, PriceOverride.__table__.c
    day = sa.bindparam("day")  # typed by the columns it is compared with, like `moment`
    changed = sa.exists().where(history.product_id == pair.c.product_id, history.effective_at > sa.bindparam("moment"))
    return (sa.select(pair.c.reseller_id, pair.c.product_id, changed, override.price, discount.percent)
            .select_from(pair)
            .outerjoin(ResellerDiscount.__table__, sa.and_(discount.reseller_id == pair.c.reseller_id,
                                                           *_covers(discount, day)))
            .outerjoin(PriceOverride.__table__, sa.and_(override.reseller_id == pair.c.reseller_id,
                                                        override.product_id == pair.c.product_id,
                                                        *_covers(override, day))))


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
    if changed:
        prices.update(_history(changed, moment))
    return prices


def _history(product_ids: set[int], moment: datetime) -> dict[int, tuple[Decimal, Decimal]]:
    """(reseller price, MSRP) at `moment` of products whose history changes after it: the last entry at or
    before `moment`, or the first entry."""
    history = db.session.execute(
        sa.select(ProductPrice.product_id, ProductPrice.price, ProductPrice.msrp, ProductPrice.effective_at)
        .where(ProductPrice.product_id.in_(product_ids))
        .order_by(ProductPrice.product_id, ProductPrice.effective_at, ProductPrice.id))
    prices = {}
    for product_id, price, msrp, effective_at in history:
        if product_id not in prices or effective_at <= moment:
            prices[product_id] = (price, msrp)
    return prices


def discount_on(reseller_id: int, day: date) -> Decimal | None:
    """The reseller's discount percent covering `day`, if any."""
    return _discounts({reseller_id}, day).get(reseller_id)


def _discounts(reseller_ids: set[int], day: date) -> dict[int, Decimal]:
    rows = db.session.execute(sa.select(ResellerDiscount.reseller_id, ResellerDiscount.percent)
                              .where(ResellerDiscount.reseller_id.in_(reseller_ids), *_covers(ResellerDiscount, day))
                              .order_by(ResellerDiscount.starts_on))
    return dict(rows.all())


def _covers(columns, day) -> list[sa.ColumnElement[bool]]:
    """A price list entry covering `day`: `columns` are a ResellerDiscount's or a PriceOverride's (the class or
    its table's columns)."""
    return [columns.starts_on <= day, sa.or_(columns.ends_on.is_(None), columns.ends_on >= day)]


def _moment_and_day(on: date | datetime) -> tuple[datetime, date]:
    if isinstance(on, datetime):
        moment = on.astimezone(UTC)
        return moment, moment.date()
    end_of_day = datetime.combine(on + timedelta(days=1), time(), tzinfo=UTC) - timedelta(microseconds=1)
    return end_of_day, on
