"""Cloud provisioning: terms acceptances, the New service wizard's draft, imports and subscriptions."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.accounts import Reseller, User
from models.base import TimestampMixin, db, intpk, money, str255, utcnow
from models.catalog import Product
from models.customers import Customer
from models.types import enum_column

CANCELLATION_WINDOW = timedelta(days=7)  # cancellable this long after provisioning or renewal (seats: after adding)


class ImportSource(StrEnum):
    SCHEDULED = "scheduled"  # one scheduled provisioning from the New service wizard
    FILE = "file"            # a bulk CSV import
    CHANGE = "change"        # an action on a subscription, run now (cancel, change seats; services.subscriptions)
    SCHEDULED_CHANGE = "scheduled_change"  # a subscription change at a time or for its renewal; renewals, expiries


class ImportStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class ItemStatus(StrEnum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class SubscriptionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"  # by staff, with a reason; reactivated by staff
    CANCELLED = "CANCELLED"  # by the reseller inside a cancellation window
    EXPIRED = "EXPIRED"      # reached its term end with auto-renew off


class TermsAcceptance(TimestampMixin, db.Model):
    """A reseller accepted version `version` of a product's terms (price-list level, for all its customers)."""

    id: Mapped[intpk]
    reseller_id: Mapped[int] = mapped_column(sa.ForeignKey("reseller.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"), index=True)
    version: Mapped[int]
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    __table_args__ = (sa.UniqueConstraint("reseller_id", "product_id", "version",
                                          name="uq_terms_acceptance_reseller_product_version"),)


class ServiceDraft(db.Model):
    """The New service wizard's state between steps: one draft per user and customer."""

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product.id"))
    config: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    product: Mapped[Product | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("user_id", "customer_id", name="uq_service_draft_user_customer"),)

    def choose(self, product: Product) -> None:
        """Pick the service; a different service starts the configuration afresh."""
        if self.product_id != product.id:
            self.product_id = product.id
            self.product = product
            self.config = {}


class Import(TimestampMixin, db.Model):
    """What My imports lists: a unit of background work with a run time, a status and items."""

    id: Mapped[intpk]
    reseller_id: Mapped[int] = mapped_column(sa.ForeignKey("reseller.id"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    source: Mapped[ImportSource] = enum_column(ImportSource)
    account_type: Mapped[str] = mapped_column(sa.String(20), default="subscription")
    name: Mapped[str255]
    import_type: Mapped[str] = mapped_column(sa.String(60), default="")  # the product code (SKU)
    status: Mapped[ImportStatus] = enum_column(ImportStatus, default=ImportStatus.PENDING)
    run_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Claim bookkeeping: who runs it (a token per claim) and until when; an expired lease is recovered.
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)  # claims so far: a run that keeps dying ends FAILED
    # Why the last claim's run died (a stored English reason, shown with |reason); on a FAILED import stopped after
    # too many attempts, "Stopped after 3 attempts: …". A new claim clears it.
    failure_reason: Mapped[str | None] = mapped_column(sa.String(500))
    completed_count: Mapped[int] = mapped_column(default=0)
    failed_count: Mapped[int] = mapped_column(default=0)
    # A file import's progress: rows processed so far of the file's rows (the progress bar reads them).
    total_count: Mapped[int] = mapped_column(default=0, server_default="0")
    processed_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Makes an import once-only (NULLs never clash): a subscription's renewal or expiry of one term
    # ("renew-<id>-<epoch>"), or the form that asked for a change ("request-<token>": a double submit finds the first).
    once_key: Mapped[str | None] = mapped_column(sa.String(80), unique=True)

    reseller: Mapped[Reseller] = relationship()
    created_by: Mapped[User] = relationship()
    items: Mapped[list[ImportItem]] = relationship(back_populates="import_", order_by="ImportItem.id")

    __table_args__ = (
        sa.Index("ix_import_due", "status", "run_at", "id"),  # a claim takes its batch in this order
        # My imports pages by keyset: newest first is id order (ids grow with created_at), or by run_at.
        sa.Index("ix_import_reseller_id", "reseller_id", "id"),
        sa.Index("ix_import_reseller_run_at", "reseller_id", "run_at", "id"),
        sa.Index("ix_import_reseller_status", "reseller_id", "status"),
    )

    @property
    def is_active(self) -> bool:
        return self.status in (ImportStatus.PENDING, ImportStatus.RUNNING)


class ImportItem(db.Model):
    """One unit of an import's work (today: a subscription to provision, or a CSV row), with its result.

    A file import has one item per row of the file (`row_number`); a row that failed validation has no
    customer (and a customer row no product).
    """

    id: Mapped[intpk]
    import_id: Mapped[int] = mapped_column(sa.ForeignKey("import.id"), index=True)
    # What running the item does: a kind registered in services.imports.kinds ("provision": a new subscription).
    kind: Mapped[str] = mapped_column(sa.String(30), default="provision", server_default="provision")
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product.id"))
    row_number: Mapped[int | None]
    status: Mapped[ItemStatus] = enum_column(ItemStatus, default=ItemStatus.PENDING)
    quantity: Mapped[int]
    billing_type: Mapped[str] = mapped_column(sa.String(20))
    config: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    external_id: Mapped[str] = mapped_column(sa.String(64), default="")
    direct_payment: Mapped[bool] = mapped_column(default=False)
    # The subscription a change kind acts on (services.subscriptions.actions); None for provisioning. No foreign key:
    # subscription.import_item_id points the other way, and the two would make a cycle.
    subscription_id: Mapped[int | None] = mapped_column(index=True)

    import_: Mapped[Import] = relationship(back_populates="items")
    customer: Mapped[Customer | None] = relationship()
    product: Mapped[Product | None] = relationship()


class Subscription(TimestampMixin, db.Model):
    """A customer's cloud service, created at the product's price of the day it was provisioned.

    Its current term runs from term_start to term_end (services.subscriptions.terms computes them from the
    billing type); the unit price is protected until price_protected_until (the term end); it renews at
    term_end when auto_renew is on, otherwise it expires then. cancellable_until is the current term's
    cancellation window; seats added later have their own (SubscriptionSeats). Its timeline is
    SubscriptionEvent (models.subscriptions).
    """

    id: Mapped[intpk]
    reseller_id: Mapped[int] = mapped_column(sa.ForeignKey("reseller.id"), index=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id"))
    # One subscription per import item, whatever runs it and however often.
    import_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_item.id"), unique=True)
    name: Mapped[str255]
    quantity: Mapped[int]
    billing_type: Mapped[str] = mapped_column(sa.String(20))
    tenant_id: Mapped[str] = mapped_column(sa.String(36), default="")
    external_id: Mapped[str] = mapped_column(sa.String(64), default="")
    unit_price: Mapped[money]
    unit_cost: Mapped[money]
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    billing_start: Mapped[date | None] = mapped_column(sa.Date)
    config: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    status: Mapped[SubscriptionStatus] = enum_column(SubscriptionStatus, default=SubscriptionStatus.ACTIVE)
    cancellable_until: Mapped[datetime]
    term_start: Mapped[datetime]
    term_end: Mapped[datetime]
    auto_renew: Mapped[bool] = mapped_column(default=True)
    price_protected_until: Mapped[datetime]
    # Bumped by every change (services.subscriptions.actions): a change written only where the version it read
    # still holds, so two racing changes never both apply; a form carries the version it was shown.
    version: Mapped[int] = mapped_column(default=0, server_default="0")

    product: Mapped[Product] = relationship()
    customer: Mapped[Customer] = relationship()

    __table_args__ = (
        sa.Index("ix_subscription_customer_product", "customer_id", "product_id"),
        # The Subscriptions list's filters: renewing within N days, window closing within 24 h.
        sa.Index("ix_subscription_reseller_term_end", "reseller_id", "term_end"),
        sa.Index("ix_subscription_reseller_cancellable_until", "reseller_id", "cancellable_until"),
    )

    @property
    def monthly_total(self) -> Decimal:
        return self.unit_price * self.quantity

    @property
    def next_renewal(self) -> datetime | None:
        """When it renews: its term end, if it is active and set to renew."""
        return self.term_end if self.auto_renew and self.status is SubscriptionStatus.ACTIVE else None
