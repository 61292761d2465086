"""One "Assign" action: K licenses of an order line given to one customer, with its activation link."""
from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts import User
from models.base import TimestampMixin, db, intpk, utcnow
from models.customers import Customer
from models.orders import License, OrderLine


def new_activation_token() -> str:
    return secrets.token_urlsafe(32)  # 256 random bits: the link cannot be guessed


class Assignment(TimestampMixin, db.Model):
    """The licenses it covers point back to it (License.assignment_id).

    The token is stored as is (unique index), not hashed: the activation e-mail in the outbox and
    the license keys themselves are in this database too, and "Resend" must send the same link.
    """

    id: Mapped[intpk]
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("order_line.id"), index=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id"), index=True)
    quantity: Mapped[int]
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_activation_token)
    # Carried by the assign form (as a checkout's token): a form sent again, e.g. when the connection dropped
    # after the commit, finds this assignment instead of assigning again and sending a second e-mail.
    request_token: Mapped[str | None] = mapped_column(sa.String(43), unique=True)
    expires_at: Mapped[datetime]
    activated_at: Mapped[datetime | None]

    order_line: Mapped[OrderLine] = relationship()
    customer: Mapped[Customer] = relationship()
    created_by: Mapped[User] = relationship()
    licenses: Mapped[list[License]] = relationship(back_populates="assignment", order_by="License.id",
                                                   viewonly=True)

    @property
    def link_state(self) -> str:
        """"activated", "expired" or "open" (the end customer can still confirm)."""
        if self.activated_at is not None:
            return "activated"
        return "expired" if self.expires_at <= utcnow() else "open"
