"""Checkout: the steps a user completes before placing an order, and placing it (once)."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from flask_babel import gettext as _

from models import (
    CartLine,
    Checkout,
    DeliveryMethod,
    License,
    LicenseStatus,
    Order,
    OrderLine,
    ProductKind,
    Role,
    User,
    db,
)
from models.base import insert_ignoring_duplicates
from services import DomainError, audit
from services.mail import outbox
from services.mail.addresses import AddressError, clean_address
from services.mail.outbox import public_url
from services.orders import cart as carts

STEPS = ("details", "delivery", "amount", "review")


class CheckoutError(DomainError):
    pass


class AmountsChanged(CheckoutError):
    """The cart or its prices changed after the review page was shown."""


def get_checkout(user: User) -> Checkout | None:
    return db.session.scalar(sa.select(Checkout).where(Checkout.user_id == user.id))


def checkout_for(user: User) -> Checkout:
    """The user's checkout in progress, started with their e-mail as the confirmation address."""
    checkout = get_checkout(user)
    if checkout is None:
        insert_ignoring_duplicates(Checkout, ["user_id"], user_id=user.id, confirmation_email=user.email)
        checkout = get_checkout(user)
    return checkout


def first_incomplete_step(checkout: Checkout) -> str:
    return STEPS[min(checkout.completed_steps, len(STEPS) - 1)]


def can_open(checkout: Checkout, step: str) -> bool:
    """A step opens once every step before it is done."""
    return STEPS.index(step) <= checkout.completed_steps


def _complete(checkout: Checkout, step: str) -> None:
    checkout.completed_steps = max(checkout.completed_steps, STEPS.index(step) + 1)
    db.session.flush()


def save_details(checkout: Checkout, *, confirmation_email: str, description: str) -> None:
    try:
        checkout.confirmation_email = clean_address(confirmation_email)
    except AddressError as exc:
        raise CheckoutError(str(exc)) from None
    checkout.description = description.strip()
    _complete(checkout, "details")


def save_delivery(checkout: Checkout, *, method: DeliveryMethod, comments: str) -> None:
    checkout.delivery_method = DeliveryMethod(method)
    checkout.delivery_comments = comments.strip()
    _complete(checkout, "delivery")


def accept_amount(checkout: Checkout, lines: Sequence[CartLine]) -> None:
    _check_lines(lines)
    _complete(checkout, "amount")


def line_problems(lines: Sequence[CartLine]) -> dict[int, str]:
    """Why a cart line cannot be ordered as it is, by line id (empty when all is well)."""
    problems = {}
    for line in lines:
        product = line.product
        if not (product.active and product.vendor.active and product.category.active) \
                or product.kind is not ProductKind.LICENSE:
            problems[line.id] = _("No longer available: remove it from your cart.")
        elif line.quantity > product.max_quantity:
            problems[line.id] = _("At most %(max)s per order.", max=product.max_quantity)
    return problems


def _check_lines(lines: Sequence[CartLine]) -> None:
    if not lines:
        raise CheckoutError(_("Your cart is empty."))
    if line_problems(lines):
        raise CheckoutError(_("Some lines of your cart cannot be ordered; see the messages next to them."))


def quote(lines: Sequence[CartLine]) -> str:
    """A fingerprint of what the review page shows (lines, today's prices, tax rate)."""
    parts = [f"{line.product_id}:{line.quantity}:{line.price_now}" for line in lines]
    parts.append(str(carts.tax_rate()))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def find_placed(user: User, token: str) -> Order | None:
    """The order this user already placed from the checkout with this token, if any."""
    if not token:
        return None
    return db.session.scalar(sa.select(Order).where(Order.checkout_token == token, Order.user_id == user.id))


def place_order(user: User, *, token: str, quote_seen: str) -> Order:
    """Turn the checkout and cart into a PENDING order, prices frozen, one PENDING license per unit.

    Idempotent on the checkout token: a resubmitted form returns the order it already made (and
    the unique token stops two racing submits at the database). The cart is locked while it is read and its
    ordered lines deleted, so a line added or changed meanwhile in another tab is never deleted unordered.
    """
    placed = find_placed(user, token)
    if placed is not None:
        return placed
    checkout = get_checkout(user)
    if checkout is None or checkout.token != token:
        raise CheckoutError(_("This checkout has already been completed or has expired. Start again from your cart."))
    if checkout.completed_steps < STEPS.index("review"):
        raise CheckoutError(_("Complete the earlier steps first."))
    if user.reseller is None or not user.reseller.is_active:
        raise CheckoutError(_("Your reseller account is suspended; orders cannot be placed."))
    cart = carts.locked_cart(user)  # a cart add waits until this order is committed, or is in what is read here
    lines = list(cart.lines) if cart is not None else []
    _check_lines(lines)
    if quote(lines) != quote_seen:
        raise AmountsChanged(_("Prices or quantities changed since this page was shown. Check the amounts "
                               "and confirm again."))
    order = _new_order(user, checkout, lines)
    _add_licenses(order)
    _notify_placed(order)
    audit.record(user, "order.place", order, total=str(order.total), licenses=order.license_count)
    db.session.delete(checkout)
    cart.lines.clear()
    db.session.flush()
    return order


def _new_order(user: User, checkout: Checkout, lines: Sequence[CartLine]) -> Order:
    rate = carts.tax_rate()
    totals = carts.totals(((line.price_now, line.quantity) for line in lines), rate)
    order = Order(
        reseller_id=user.reseller_id, user_id=user.id, checkout_token=checkout.token,
        confirmation_email=checkout.confirmation_email, description=checkout.description,
        delivery_method=checkout.delivery_method, delivery_comments=checkout.delivery_comments,
        currency=user.reseller.currency, tax_rate=rate, subtotal=totals.subtotal, tax=totals.tax,
        total=totals.total,
        lines=[OrderLine(product_id=line.product_id, sku=line.product.sku, product_name=line.product.name,
                         vendor_name=line.product.vendor.name, quantity=line.quantity,
                         unit_price=line.price_now) for line in lines],
    )
    db.session.add(order)
    db.session.flush()  # the unique checkout token is checked here
    return order


def _add_licenses(order: Order) -> None:
    rows = [{"order_line_id": line.id, "seq": seq, "status": LicenseStatus.PENDING}
            for line in order.lines for seq in range(1, line.quantity + 1)]
    db.session.execute(sa.insert(License), rows)


def _notify_placed(order: Order) -> None:
    with outbox.in_language_of(order.user):
        outbox.queue_email(order.confirmation_email, "order_received", related=order, order=order,
                           order_url=public_url("licenses.order", order_id=order.id))
    staff = db.session.scalars(sa.select(User).where(User.role == Role.STAFF, User.enabled).order_by(User.id))
    approve_url = public_url("admin.approval", order_id=order.id)
    for user in staff:
        with outbox.in_language_of(user):
            outbox.queue_email(user.email, "order_to_approve", related=order, order=order, approve_url=approve_url)
