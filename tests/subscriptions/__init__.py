"""Helpers for the subscription tests: a subscription as provisioning leaves it, at any moment."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from models import Subscription, SubscriptionStatus, db, utcnow
from services.subscriptions import terms, timeline
from tests.provisioning import TENANT, make_cloud_product


def make_subscription(user, customer, product=None, at: datetime | None = None, quantity: int = 3,
                      billing_type: str = "P1Y-monthly", price: str = "7.20", **overrides) -> Subscription:
    """A subscription provisioned at `at` (default now) by `user`, with its provisioned event and first lot."""
    product = product or make_cloud_product(accepted_by=customer.reseller, price=Decimal(price))
    at = at or utcnow()
    subscription = Subscription(
        reseller_id=customer.reseller_id, customer_id=customer.id, product_id=product.id, name=product.name,
        quantity=quantity, billing_type=billing_type, tenant_id=TENANT, external_id=f"ext-{product.id}-{customer.id}",
        unit_price=Decimal(price), unit_cost=Decimal(price) * Decimal("0.8"), currency="USD", config={},
        **{"status": SubscriptionStatus.ACTIVE, "created_at": at, **terms.initial_term(billing_type, at), **overrides})
    db.session.add(subscription)
    db.session.flush()
    timeline.record_provisioned([subscription.id], actor_id=user.id)
    db.session.commit()
    return subscription
