"""The user's cart: what they mean to buy, kept across sessions, with the price they saw.

Prices are the reseller's (services.catalog.pricing): each line read through get_cart/locked_cart carries
`price_now`, today's price of its product for the user's reseller, beside `unit_price`, the one they saw.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from models import Cart, CartLine, Product, ProductKind, User, db, utcnow
from models.base import insert_ignoring_duplicates
from services import DomainError
from services.catalog import catalog, pricing

CENT = Decimal("0.01")


class CartError(DomainError):
    pass


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax_rate: Decimal
    tax: Decimal
    total: Decimal


def get_cart(user: User) -> Cart | None:
    """The user's cart with its lines, their products, brands and categories, in one query (any size)."""
    return _priced(db.session.execute(_cart_with_lines(user)).unique().scalar_one_or_none(), user)


def _priced(cart: Cart | None, user: User) -> Cart | None:
    """The cart, each line's `price_now` set to today's price of its product for the user's reseller."""
    if cart is not None and cart.lines:
        prices = pricing.reseller_prices(user.reseller_id, [line.product for line in cart.lines], utcnow())
        for line in cart.lines:
            line.price_now = prices[line.product_id].price
    return cart


def _cart_with_lines(user: User) -> sa.Select:
    # One joined query: a selectinload would add a second query and its loader.
    return sa.select(Cart).where(Cart.user_id == user.id).options(
        joinedload(Cart.lines).joinedload(CartLine.product).options(joinedload(Product.vendor),
                                                                   joinedload(Product.category)))


def cart_for(user: User) -> Cart:
    """The user's cart, created on first use, locked and read afresh: see locked_cart()."""
    insert_ignoring_duplicates(Cart, ["user_id"], user_id=user.id)
    return locked_cart(user)


def locked_cart(user: User) -> Cart | None:
    """The user's cart with its lines read after locking it until the transaction ends (None: no cart).

    Whatever changes a cart or orders it takes this lock first, so a cart add and a checkout happen one after
    the other: the add is either in what the checkout reads or made on the cart the checkout left, never
    made in between and deleted with the ordered lines (issue 24). PostgreSQL locks the row (FOR UPDATE);
    SQLite's driver opens a transaction only before a write, so a write that changes nothing takes the
    database's one write lock, and the reads after it see the latest commit.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(Cart.id).where(Cart.user_id == user.id).with_for_update())
    else:
        db.session.execute(sa.update(Cart).where(Cart.user_id == user.id).values(user_id=Cart.user_id)
                           .execution_options(synchronize_session=False))
    # The cart and lines may have been loaded before the lock (the checkout's review step): read them again.
    return _priced(db.session.execute(_cart_with_lines(user), execution_options={"populate_existing": True})
                   .unique().scalar_one_or_none(), user)


def item_count(user: User) -> int:
    """Units in the user's cart (the header badge), in one query."""
    return db.session.scalar(_units(user.id))


def units_expression() -> sa.ScalarSelect:
    """item_count() as a column of the query that loads the user: `with_expression(User.cart_units, ...)`."""
    return _units(User.id).scalar_subquery()


def _units(user_id) -> sa.Select:
    return (sa.select(sa.func.coalesce(sa.func.sum(CartLine.quantity), 0))
            .join(Cart, CartLine.cart_id == Cart.id).where(Cart.user_id == user_id))


def user_line(user: User, line_id: int) -> CartLine | None:
    """A line of this user's cart, to change: the cart is locked first (locked_cart). None for anyone else's
    line, or one a checkout has just ordered (the view answers 404)."""
    cart = locked_cart(user)
    return next((line for line in cart.lines if line.id == line_id), None) if cart is not None else None


def purchasable_product(product_id: int | None) -> Product:
    product = catalog.active_product(product_id) if product_id else None
    if product is None:
        raise CartError(_("This product is not available."))
    if product.kind is not ProductKind.LICENSE:
        raise CartError(_("Cloud services are provisioned for a customer, not bought through the cart."))
    return product


def check_quantity(product: Product, quantity: int, *, already: int = 0) -> None:
    if quantity < 1:
        raise CartError(_("Enter a quantity of at least 1."))
    if quantity + already > product.max_quantity:
        if already:
            raise CartError(_("At most %(max)s per order; your cart already has %(n)s.",
                              max=product.max_quantity, n=already))
        raise CartError(_("Enter a quantity from 1 to %(max)s.", max=product.max_quantity))


def add_to_cart(user: User, product_id: int | None, quantity: int) -> CartLine:
    """Add units of a product (to its line if there is one) and remember today's price (the reseller's)."""
    product = purchasable_product(product_id)
    price = pricing.reseller_price(user.reseller_id, product, utcnow())
    cart = cart_for(user)
    existing = next((line for line in cart.lines if line.product_id == product.id), None)
    check_quantity(product, quantity, already=existing.quantity if existing else 0)
    insert_ignoring_duplicates(CartLine, ["cart_id", "product_id"], cart_id=cart.id, product_id=product.id,
                               quantity=0, unit_price=price)
    # Add in SQL, capped in SQL: two tabs adding at once can't push the line over the maximum.
    added = db.session.execute(
        sa.update(CartLine)
        .where(CartLine.cart_id == cart.id, CartLine.product_id == product.id,
               CartLine.quantity + quantity <= product.max_quantity)
        .values(quantity=CartLine.quantity + quantity, unit_price=price)
        .execution_options(synchronize_session=False)).rowcount
    if added != 1:
        raise CartError(_("At most %(max)s per order.", max=product.max_quantity))
    db.session.expire(cart)
    stmt = sa.select(CartLine).where(CartLine.cart_id == cart.id, CartLine.product_id == product.id)
    line = db.session.scalar(stmt.execution_options(populate_existing=True))
    line.price_now = price
    return line


def set_quantity(line: CartLine, quantity: int) -> CartLine:
    """Change a line's quantity; the remembered price stays, so a price change is still shown."""
    check_quantity(line.product, quantity)
    line.quantity = quantity
    db.session.flush()
    return line


def remove_line(line: CartLine) -> None:
    cart = line.cart
    cart.lines.remove(line)
    db.session.flush()


def tax_rate() -> Decimal:
    """TAX_RATE from the configuration, a fraction such as "0.22" (default "0")."""
    try:
        rate = Decimal(str(current_app.config.get("TAX_RATE") or "0"))
    except InvalidOperation:
        raise CartError(_("The tax rate is misconfigured.")) from None
    if not Decimal(0) <= rate < Decimal(1):
        raise CartError(_("The tax rate is misconfigured."))
    return rate


def totals(items: Iterable[tuple[Decimal, int]], rate: Decimal) -> Totals:
    """Subtotal, tax and total of (unit price, quantity) pairs, rounded to the cent."""
    subtotal = sum((price * quantity for price, quantity in items), Decimal("0")).quantize(CENT)
    tax = (subtotal * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return Totals(subtotal=subtotal, tax_rate=rate, tax=tax, total=subtotal + tax)


def cart_totals(cart: Cart | None) -> Totals:
    """The cart at today's prices (what the order would cost now), as read by get_cart or locked_cart."""
    lines = cart.lines if cart is not None else []
    return totals(((line.price_now, line.quantity) for line in lines), tax_rate())

