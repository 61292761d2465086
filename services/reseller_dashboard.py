"""The reseller's home: what their team acts on now, each list short (the home links to the whole list).

Every function takes the reseller's id (tenant isolation: nothing of another reseller) and `now` (tests drive the
clock through it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from models import (
    Assignment,
    Customer,
    EmailStatus,
    Import,
    ImportSource,
    ImportStatus,
    License,
    LicenseStatus,
    Order,
    OrderLine,
    OrderStatus,
    OutboxEmail,
    Subscription,
    SubscriptionStatus,
    db,
    utcnow,
)

SHOWN = 5  # rows per list on the home page
WINDOW_CLOSING = timedelta(hours=24)
RENEWALS_AHEAD = timedelta(days=30)
SCHEDULED_AHEAD = timedelta(days=7)
RECENT_IMPORTS = timedelta(days=7)


@dataclass
class Listing:
    """A few rows of a list and how many there are in all."""
    rows: list[Any] = field(default_factory=list)
    total: int = 0


@dataclass
class ResellerHome:
    pending_orders: Listing
    ready_to_assign: Listing
    failed_activation_emails: Listing
    closing_windows: Listing
    renewals: Listing
    scheduled: Listing
    recent_imports: Listing
    failed_imports: int

    @property
    def nothing_to_do(self) -> bool:
        return not any((self.pending_orders.total, self.ready_to_assign.total, self.failed_activation_emails.total,
                        self.closing_windows.total, self.renewals.total, self.scheduled.total,
                        self.recent_imports.total))


def reseller_home(reseller_id: int, now: datetime | None = None) -> ResellerHome:
    now = now or utcnow()
    return ResellerHome(pending_orders(reseller_id), ready_to_assign(reseller_id),
                        failed_activation_emails(reseller_id), closing_windows(reseller_id, now),
                        renewals_due(reseller_id, now), scheduled(reseller_id, now), recent_imports(reseller_id, now),
                        failed_imports(reseller_id, now))


def _listing(stmt: sa.Select, count: sa.Select) -> Listing:
    total = db.session.scalar(count) or 0
    return Listing(list(db.session.execute(stmt.limit(SHOWN))) if total else [], total)


def pending_orders(reseller_id: int) -> Listing:
    """Orders waiting for the distributor's approval, oldest first."""
    where = (Order.reseller_id == reseller_id, Order.status == OrderStatus.PENDING)
    return _listing(sa.select(Order.id, Order.created_at, Order.total, Order.currency).where(*where)
                    .order_by(Order.id),
                    sa.select(sa.func.count()).select_from(Order).where(*where))


def ready_to_assign(reseller_id: int) -> Listing:
    """Approved orders with keys in the pool (AVAILABLE), oldest first, with how many each; total = licenses."""
    available = sa.func.count(License.id).label("available")
    stmt = (sa.select(Order.id, Order.created_at, available)
            .join(OrderLine, OrderLine.order_id == Order.id).join(License, License.order_line_id == OrderLine.id)
            .where(Order.reseller_id == reseller_id, License.status == LicenseStatus.AVAILABLE)
            .group_by(Order.id, Order.created_at).order_by(Order.id))
    total = sa.select(sa.func.count(License.id)).join(OrderLine, License.order_line_id == OrderLine.id) \
        .join(Order, OrderLine.order_id == Order.id) \
        .where(Order.reseller_id == reseller_id, License.status == LicenseStatus.AVAILABLE)
    return _listing(stmt, total)


def failed_activation_emails(reseller_id: int) -> Listing:
    """Activation e-mails that gave up, newest first, with the order they are retried from."""
    joins = (sa.select().select_from(OutboxEmail)
             .join(Assignment, sa.and_(OutboxEmail.related_type == "Assignment",
                                       OutboxEmail.related_id == Assignment.id))
             .join(OrderLine, Assignment.order_line_id == OrderLine.id).join(Order, OrderLine.order_id == Order.id)
             .where(Order.reseller_id == reseller_id, OutboxEmail.status == EmailStatus.FAILED))
    stmt = joins.add_columns(OutboxEmail.id, OutboxEmail.to_addr, OutboxEmail.created_at, Order.id.label("order_id"),
                             Assignment.customer_id).order_by(OutboxEmail.id.desc())
    return _listing(stmt, joins.add_columns(sa.func.count()))


def closing_windows(reseller_id: int, now: datetime) -> Listing:
    """Active subscriptions whose cancellation window closes within 24 hours, soonest first."""
    where = (Subscription.reseller_id == reseller_id, Subscription.status == SubscriptionStatus.ACTIVE,
             Subscription.cancellable_until > now, Subscription.cancellable_until <= now + WINDOW_CLOSING)
    stmt = (sa.select(Subscription.id, Subscription.name, Subscription.cancellable_until, Subscription.customer_id,
                      Customer.name.label("customer_name"))
            .join(Customer, Subscription.customer_id == Customer.id).where(*where)
            .order_by(Subscription.cancellable_until))
    return _listing(stmt, sa.select(sa.func.count()).select_from(Subscription).where(*where))


@dataclass(frozen=True)
class Renewal:
    id: int
    name: str
    customer_id: int
    customer_name: str
    renews_on: date


def renewals_due(reseller_id: int, now: datetime) -> Listing:
    """Active subscriptions set to renew whose term ends in the next 30 days, soonest first."""
    term_end = Subscription.term_end
    where = (Subscription.reseller_id == reseller_id, Subscription.status == SubscriptionStatus.ACTIVE,
             Subscription.auto_renew.is_(True), term_end >= now, term_end <= now + RENEWALS_AHEAD)
    rows = db.session.execute(
        sa.select(Subscription.id, Subscription.name, Subscription.customer_id, Customer.name, term_end)
        .join(Customer, Subscription.customer_id == Customer.id).where(*where)
        .order_by(term_end, Subscription.id).limit(SHOWN))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Subscription).where(*where)) or 0
    return Listing([Renewal(id_, name, customer_id, customer_name, end.date())
                    for id_, name, customer_id, customer_name, end in rows], total)


def scheduled(reseller_id: int, now: datetime) -> Listing:
    """Scheduled provisionings that run in the next 7 days, soonest first."""
    where = (Import.reseller_id == reseller_id, Import.source == ImportSource.SCHEDULED,
             Import.status == ImportStatus.PENDING, Import.run_at <= now + SCHEDULED_AHEAD)
    stmt = sa.select(Import.id, Import.name, Import.run_at).where(*where).order_by(Import.run_at, Import.id)
    return _listing(stmt, sa.select(sa.func.count()).select_from(Import).where(*where))


def recent_imports(reseller_id: int, now: datetime) -> Listing:
    """Imports created in the last 7 days or still to run, newest first."""
    where = (Import.reseller_id == reseller_id,
             sa.or_(Import.created_at >= now - RECENT_IMPORTS,
                    Import.status.in_([ImportStatus.PENDING, ImportStatus.RUNNING])))
    stmt = (sa.select(Import.id, Import.name, Import.source, Import.status, Import.run_at, Import.completed_count,
                      Import.failed_count).where(*where).order_by(Import.id.desc()))
    return _listing(stmt, sa.select(sa.func.count()).select_from(Import).where(*where))


def failed_imports(reseller_id: int, now: datetime) -> int:
    """Imports that failed, or finished with failed rows, in the last 7 days."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(Import).where(
        Import.reseller_id == reseller_id, Import.created_at >= now - RECENT_IMPORTS,
        sa.or_(Import.status == ImportStatus.FAILED, Import.failed_count > 0))) or 0
