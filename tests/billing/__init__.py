"""Billing tests: helpers to make subscriptions and charges at chosen moments."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from models import Subscription, db
from services.subscriptions import terms
from tests.factories import make_customer, make_product, make_user
from tests.provisioning import make_cloud_product


def at(text: str) -> datetime:
    """"2026-11-05 10:00" as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def make_subscription(reseller, customer=None, *, start: datetime, billing_type: str = "P1Y-monthly",
                      quantity: int = 3, unit_price: str = "7.20", unit_cost: str = "6.00", **kw) -> Subscription:
    customer = customer or make_customer(reseller)
    product = kw.pop("product", None) or make_cloud_product()
    subscription = Subscription(
        reseller_id=reseller.id, customer_id=customer.id, product_id=product.id, name=product.name,
        quantity=quantity, billing_type=billing_type, unit_price=Decimal(unit_price), unit_cost=Decimal(unit_cost),
        currency=reseller.currency, created_at=start, **terms.initial_term(billing_type, start), **kw)
    db.session.add(subscription)
    db.session.flush()
    return subscription


def reseller_admin(**kw):
    return make_user(**kw)


__all__ = ["adjustment", "at", "make_customer", "make_product", "make_subscription", "reseller_admin"]


def adjustment(reseller_id: int, amount: str, when: str, key: str) -> None:
    """A staff adjustment charge of `amount` at `when` (idempotency key `key`)."""
    from models import ChargeKind
    from services.billing import ledger

    ledger.record_charge(reseller_id=reseller_id, kind=ChargeKind.ADJUSTMENT, description=f"charge {key}", quantity=1,
                         unit_price=Decimal(amount), amount=Decimal(amount), currency="USD", occurred_at=at(when),
                         idempotency_key=key)
