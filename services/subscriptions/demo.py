"""Demo subscriptions in each interesting state (services.demo.seed calls this; safe to run again).

Times are relative to the moment of seeding, so a fresh `make run` always shows a window open, one closing
within 24 h, a renewal in 20 days (with a scheduled change to 5 seats at the renewal, pending in My imports),
auto-renew off, a cancellation with its credit and an expiry. The charges of the seats added, the cancellation and
the expired term are written with their events (services.billing.demo writes the fees and closes past months).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from models import (
    Customer,
    Product,
    Subscription,
    SubscriptionEventKind,
    SubscriptionStatus,
    User,
    db,
    utcnow,
)
from services.billing import ledger
from services.subscriptions import terms, timeline

# key, reseller user, customer code, sku, billing type, seats, provisioned (ago), state
DEMO = [
    ("window-open", "reseller@demo.test", "C-001", "CFQ7TTC0LH18", "P1Y-monthly", 10, timedelta(days=2), "seats"),
    ("window-closing", "reseller@demo.test", "C-002", "CFQ7TTC0LDPB", "P1Y-monthly", 5,
     timedelta(days=6, hours=14), "active"),
    ("renewing", "reseller@demo.test", "C-003", "ADB-CCT-TEAMS", "P1Y-annual", 3, timedelta(days=345), "active"),
    ("auto-renew-off", "reseller@demo.test", "C-001", "CFQ7TTC0LH1G", "P1Y-monthly", 20, timedelta(days=120),
     "auto_renew_off"),
    ("cancelled", "reseller@demo.test", "C-002", "CFQ7TTC0LH18", "P1Y-monthly", 2, timedelta(days=10), "cancelled"),
    ("expired", "reseller@demo.test", "C-003", "CFQ7TTC0LH18", "monthly", 4, timedelta(days=40), "expired"),
    ("other-reseller", "reseller2@demo.test", "AR-10", "CFQ7TTC0LH18", "P1Y-monthly", 8, timedelta(days=1), "active"),
    # Provisioned as the demo is seeded: this month has running charges even on the 1st (the others are days old).
    ("just-provisioned", "reseller@demo.test", "C-003", "CFQ7TTC0LDPB", "P1Y-monthly", 1, timedelta(0), "active"),
]


def seed_subscriptions(now: datetime | None = None) -> None:
    now = (now or utcnow()).replace(microsecond=0)
    for key, email, code, sku, billing_type, seats, ago, state in DEMO:
        external_id = f"demo-{key}"
        if db.session.scalar(sa.select(Subscription.id).where(Subscription.external_id == external_id)):
            continue
        user = db.session.scalar(sa.select(User).where(User.email == email))
        customer = db.session.scalar(sa.select(Customer).where(Customer.code == code,
                                                               Customer.reseller_id == user.reseller_id))
        product = db.session.scalar(sa.select(Product).where(Product.sku == sku))
        if customer is None or product is None:
            continue
        at = now - ago
        subscription = Subscription(
            reseller_id=customer.reseller_id, customer_id=customer.id, product_id=product.id, name=product.name,
            quantity=seats, billing_type=billing_type, tenant_id=customer.tenant_id, external_id=external_id,
            unit_price=product.price, unit_cost=product.cost, currency=product.currency, config={},
            status=SubscriptionStatus.ACTIVE, created_at=at, **terms.initial_term(billing_type, at))
        db.session.add(subscription)
        db.session.flush()
        timeline.record_provisioned([subscription.id], actor_id=user.id)
        _bring_to(state, subscription, user, now)
    db.session.flush()
    _schedule_a_change()


def _schedule_a_change() -> None:
    """A scheduled change pending: the renewing subscription goes to 5 seats at its renewal (My imports lists it)."""
    from services.subscriptions import actions, kinds_change  # they build on the kinds of the import engine

    subscription = db.session.scalar(sa.select(Subscription).where(Subscription.external_id == "demo-renewing"))
    if subscription is None or subscription.status is not SubscriptionStatus.ACTIVE:
        return
    user = db.session.scalar(sa.select(User).where(User.email == "reseller@demo.test"))
    actions.request_change(subscription, user, kinds_change.QUANTITY, token="demo-scheduled-change",
                           shown_version=None, quantity=5, at_renewal=True)


def _bring_to(state: str, subscription: Subscription, user: User, now: datetime) -> None:
    start = subscription.term_start
    if state == "seats":  # two seats added yesterday: their own window
        added = now - timedelta(days=1)
        _charge_period(subscription, added)  # the period's fee at the seats it had, before the added ones
        seats = terms.Seats(subscription.unit_price, 2, subscription.billing_type, start, subscription.term_end, added)
        ledger.charge_seats_added(subscription, seats, key=f"demo-{_key(subscription)}")
        timeline.add_seats(subscription, 2, added, subscription.unit_price)
        subscription.quantity += 2
        timeline.record(subscription, SubscriptionEventKind.SEATS_ADDED, user, added, added=2,
                        quantity=subscription.quantity, unit_price=subscription.unit_price)
    elif state == "auto_renew_off":
        subscription.auto_renew = False
        timeline.record(subscription, SubscriptionEventKind.AUTO_RENEW_OFF, user, start + timedelta(days=20))
    elif state == "cancelled":
        at = start + timedelta(days=2, hours=5)
        seats = terms.Seats(subscription.unit_price, subscription.quantity, subscription.billing_type, start,
                            subscription.term_end, start)
        _charge_period(subscription, at)
        ledger.credit_cancellation(subscription, [seats], at, key=f"demo-{_key(subscription)}")
        subscription.status = SubscriptionStatus.CANCELLED
        timeline.record(subscription, SubscriptionEventKind.CANCELLED, user, at, quantity=subscription.quantity,
                        credit=seats.credit_at(at), currency=subscription.currency)
    elif state == "expired":
        _charge_period(subscription, start)
        subscription.auto_renew = False
        subscription.status = SubscriptionStatus.EXPIRED
        timeline.record(subscription, SubscriptionEventKind.AUTO_RENEW_OFF, user, start + timedelta(days=3))
        timeline.record(subscription, SubscriptionEventKind.EXPIRED, None, subscription.term_end)


def _key(subscription: Subscription) -> str:
    return subscription.external_id.removeprefix("demo-")


def _charge_period(subscription: Subscription, at: datetime) -> None:
    """The fee of the billing period `at` is in (the fees job writes only an active subscription's)."""
    ledger.charge_subscription_fee(subscription, *terms.period_containing(subscription.term_start,
                                                                         subscription.billing_type, at))
