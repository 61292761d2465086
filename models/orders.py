"""ESD purchase: the user's cart, the checkout in progress, orders and the license pool."""
from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts import Reseller, User
from models.base import TimestampMixin, db, intpk, money, str255
from models.catalog import Product
from models.customers import Customer
from models.types import enum_column

if TYPE_CHECKING:
    from models.assignments import Assignment

DESCRIPTION_MAX = 200
COMMENTS_MAX = 1000
REASON_MAX = 1000


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Cart(TimestampMixin, db.Model):
    """One per user, kept across sessions."""

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), unique=True)

    user: Mapped[User] = relationship()
    lines: Mapped[list[CartLine]] = relationship(back_populates="cart", order_by="CartLine.id",
                                                 cascade="all, delete-orphan")


class CartLine(TimestampMixin, db.Model):
    id: Mapped[intpk]
    cart_id: Mapped[int] = mapped_column(sa.ForeignKey("cart.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"), index=True)
    quantity: Mapped[int]
    unit_price: Mapped[money]  # the price the user saw when adding: the cart says when it changed

    cart: Mapped[Cart] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()

    __table_args__ = (sa.UniqueConstraint("cart_id", "product_id", name="uq_cart_line_cart_product"),)

    price_now = None  # today's reseller price of the product (not stored): services.orders.cart sets it on reading

    @property
    def price_changed(self) -> bool:
        return self.unit_price != self.price_now


class DeliveryMethod(StrEnum):
    PICKUP = "pickup"          # at the distributor's office
    ELECTRONIC = "electronic"  # keys by e-mail / in the portal


class Checkout(TimestampMixin, db.Model):
    """The checkout a user has in progress: what each step saved. Deleted when the order is placed."""

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), unique=True)
    # Carried by the review form and copied to the order: a resubmitted form finds its order.
    token: Mapped[str] = mapped_column(sa.String(43), unique=True, default=new_token)
    completed_steps: Mapped[int] = mapped_column(default=0)
    confirmation_email: Mapped[str] = mapped_column(sa.String(254), default="")
    description: Mapped[str] = mapped_column(sa.String(DESCRIPTION_MAX), default="")
    delivery_method: Mapped[DeliveryMethod | None] = enum_column(DeliveryMethod)
    delivery_comments: Mapped[str] = mapped_column(sa.String(COMMENTS_MAX), default="")


class OrderStatus(StrEnum):
    PENDING = "PENDING"      # placed, waiting for staff
    APPROVED = "APPROVED"    # keys issued; resellers see it as "Done"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"  # by the reseller, while PENDING


def order_number(order_id: int) -> str:
    """What people read and type: 000042."""
    return f"{order_id:06d}"


class Order(TimestampMixin, db.Model):
    id: Mapped[intpk]
    reseller_id: Mapped[int] = mapped_column(sa.ForeignKey("reseller.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    status: Mapped[OrderStatus] = enum_column(OrderStatus, default=OrderStatus.PENDING, index=True)
    checkout_token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    confirmation_email: Mapped[str] = mapped_column(sa.String(254))
    description: Mapped[str] = mapped_column(sa.String(DESCRIPTION_MAX), default="")
    delivery_method: Mapped[DeliveryMethod] = enum_column(DeliveryMethod)
    delivery_comments: Mapped[str] = mapped_column(sa.String(COMMENTS_MAX), default="")
    payment_method: Mapped[str] = mapped_column(sa.String(20), default="on_account")
    currency: Mapped[str] = mapped_column(sa.String(3))
    tax_rate: Mapped[Decimal] = mapped_column(sa.Numeric(6, 4))
    subtotal: Mapped[money]
    tax: Mapped[money]
    total: Mapped[money]
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    rejection_reason: Mapped[str] = mapped_column(sa.String(REASON_MAX), default="")
    cancelled_at: Mapped[datetime | None]

    reseller: Mapped[Reseller] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    lines: Mapped[list[OrderLine]] = relationship(back_populates="order", order_by="OrderLine.id",
                                                  cascade="all, delete-orphan")

    __table_args__ = (sa.Index("ix_order_reseller_status", "reseller_id", "status"),)

    @property
    def number(self) -> str:
        return order_number(self.id)

    @property
    def license_count(self) -> int:
        return sum(line.quantity for line in self.lines)


class OrderLine(db.Model):
    """What was bought, with the product's name and price frozen when the order was placed."""

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("order.id"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"), index=True)
    sku: Mapped[str] = mapped_column(sa.String(60))
    product_name: Mapped[str255]
    vendor_name: Mapped[str] = mapped_column(sa.String(120))
    quantity: Mapped[int]
    unit_price: Mapped[money]

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class LicenseStatus(StrEnum):
    PENDING = "PENDING"      # the order is not approved yet: no key
    AVAILABLE = "AVAILABLE"  # key issued, in the reseller's pool
    ASSIGNED = "ASSIGNED"    # given to a customer (activation e-mail queued)
    ACTIVATED = "ACTIVATED"  # the end customer confirmed
    VOID = "VOID"            # the order was rejected or cancelled: never issued


class License(TimestampMixin, db.Model):
    """One row per unit bought."""

    id: Mapped[intpk]
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_line.id"))
    seq: Mapped[int]  # 1..quantity within its line
    key: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[LicenseStatus] = enum_column(LicenseStatus, default=LicenseStatus.PENDING, index=True)
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assignment.id"), index=True)
    assigned_at: Mapped[datetime | None]
    activated_at: Mapped[datetime | None]

    order_line: Mapped[OrderLine] = relationship()
    customer: Mapped[Customer | None] = relationship()
    assignment: Mapped[Assignment | None] = relationship(back_populates="licenses")

    __table_args__ = (
        sa.UniqueConstraint("order_line_id", "seq", name="uq_license_order_line_seq"),
        # "A of N" per order and "the next K available" are both answered from this index alone.
        sa.Index("ix_license_order_line_status", "order_line_id", "status"),
    )
