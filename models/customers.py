"""A reseller's end customers (companies that receive licenses and subscriptions)."""
from __future__ import annotations

from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts import Reseller
from models.base import TimestampMixin, db, intpk, str255
from models.types import enum_column


class CustomerStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


def _text(length: int):
    return mapped_column(sa.String(length), default="")


class Customer(TimestampMixin, db.Model):
    id: Mapped[intpk]
    reseller_id: Mapped[int] = mapped_column(sa.ForeignKey("reseller.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(60))
    name: Mapped[str255]
    email: Mapped[str] = mapped_column(sa.String(254))
    domain: Mapped[str] = _text(255)
    tax_id: Mapped[str] = _text(40)
    country: Mapped[str] = _text(2)
    city: Mapped[str] = _text(120)
    address: Mapped[str] = _text(255)
    zip_code: Mapped[str] = _text(20)
    contact_name: Mapped[str] = _text(120)
    phone: Mapped[str] = _text(40)
    tenant_id: Mapped[str] = _text(36)
    language: Mapped[str] = mapped_column(sa.String(5), default="es")
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD", server_default="USD")
    billing_start: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[CustomerStatus] = enum_column(CustomerStatus, default=CustomerStatus.ACTIVE)

    reseller: Mapped[Reseller] = relationship()

    __table_args__ = (sa.UniqueConstraint("reseller_id", "code", name="uq_customer_reseller_code"),)

    @property
    def is_active(self) -> bool:
        return self.status is CustomerStatus.ACTIVE
