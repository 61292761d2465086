"""A subscription's life after provisioning: its timeline of events and its seat lots.

Subscription itself is in models.provisioning. The rules (terms, windows, proration) are in
services.subscriptions.terms; writing events and lots goes through services.subscriptions.timeline.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts import User
from models.base import db, intpk, money, utcnow
from models.types import enum_column


class SubscriptionEventKind(StrEnum):
    PROVISIONED = "provisioned"
    SEATS_ADDED = "seats_added"
    SEATS_REMOVED = "seats_removed"
    CHANGE_SCHEDULED = "change_scheduled"
    CANCELLED = "cancelled"
    RENEWED = "renewed"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REACTIVATED = "reactivated"
    AUTO_RENEW_ON = "auto_renew_on"
    AUTO_RENEW_OFF = "auto_renew_off"


class SubscriptionEvent(db.Model):
    """One line of a subscription's timeline, never edited.

    `actor_id` is who did it (None: the system, e.g. a renewal at term end); `on_behalf_of_id` the reseller
    user a staff member was logged in as, as in AuditEvent. `details` holds the figures of the event, e.g.
    {"quantity": 5, "added": 2, "unit_price": "7.20", "credit": "19.47", "reason": "..."} (amounts as strings).
    """

    id: Mapped[intpk]
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("subscription.id"))
    kind: Mapped[SubscriptionEventKind] = enum_column(SubscriptionEventKind)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])

    __table_args__ = (sa.Index("ix_subscription_event_subscription_at", "subscription_id", "at", "id"),)


class SubscriptionSeats(db.Model):
    """A lot of seats: those provisioned (or renewed) together, or one later addition.

    Each lot has its own cancellation window (`cancellable_until`, 7 days after `added_at`); `removed` counts
    its seats taken away again inside that window. The lots of the current term are those added at or after
    the subscription's term_start (a renewal opens one lot of the whole quantity), and their
    `quantity - removed` add up to the subscription's quantity.
    """

    id: Mapped[intpk]
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("subscription.id"))
    quantity: Mapped[int]
    removed: Mapped[int] = mapped_column(default=0)
    unit_price: Mapped[money]
    added_at: Mapped[datetime]
    cancellable_until: Mapped[datetime]

    __table_args__ = (
        sa.Index("ix_subscription_seats_subscription_added", "subscription_id", "added_at"),
        sa.CheckConstraint("removed >= 0 AND removed <= quantity", name="removed_within_quantity"),
    )

    @property
    def active(self) -> int:
        return self.quantity - self.removed

    def removable(self, now: datetime) -> int:
        """Seats of this lot that may still be removed at `now` (inside its window)."""
        return self.active if now < self.cancellable_until else 0

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.active


class SubscriptionReminder(db.Model):
    """A reminder e-mail sent for a subscription: once per kind and moment (unique), however often the job runs.

    `kind` is "renewal-7d", "renewal-1d" (before `due_at`, the term end) or "window" (before the cancellation
    window closes at `due_at`)."""

    id: Mapped[intpk]
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("subscription.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("subscription_id", "kind", "due_at", name="uq_subscription_reminder"),)
