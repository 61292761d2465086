"""What renewals and expiries read (kinds "sub_renew" and "sub_expire"): subscriptions as plain rows, not ORM objects.

100,000 subscriptions end their terms at the same midnight. Loaded as Subscription objects with their product,
vendor and customer joined, twice (to validate and perform, then to write), they cost half a millisecond each;
as rows of the columns the steps read, with the batch's products (import_batch: already loaded, vendor joined),
read once (the write uses the rows validated, guarded by their version), far less. The write (renewal_writes) is
set-based and needs no object either.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from models import Customer, Import, Product, Subscription, SubscriptionStatus, User, db, utcnow
from services.connectors import get_connector
from services.imports import kinds
from services.imports.import_batch import BatchItem
from services.subscriptions import changes


@dataclass(slots=True)
class SubscriptionRow:
    """The columns of a subscription that its term end reads (the same names as Subscription's)."""

    id: int
    reseller_id: int
    customer_id: int
    product_id: int
    name: str
    quantity: int
    billing_type: str
    tenant_id: str
    external_id: str
    unit_cost: Decimal
    currency: str
    config: dict[str, Any]
    status: SubscriptionStatus
    term_end: datetime
    auto_renew: bool
    version: int
    created_at: datetime
    customer_name: str
    product: Product | None = None


_COLUMNS = (Subscription.id, Subscription.reseller_id, Subscription.customer_id, Subscription.product_id,
            Subscription.name, Subscription.quantity, Subscription.billing_type, Subscription.tenant_id,
            Subscription.external_id, Subscription.unit_cost, Subscription.currency, Subscription.config,
            Subscription.status, Subscription.term_end, Subscription.auto_renew, Subscription.version,
            Subscription.created_at, Customer.name)


_ROW = "_term_end_row"  # a scratch key of the item's config in this run (the writer never writes config back)


@dataclass(slots=True)
class Actor:
    """Who the import was made for (its creator, the reseller's first admin): told by e-mail, named in the audit."""

    id: int
    email: str
    name: str
    locale: str | None


@dataclass(slots=True)
class Done:
    """An item performed, with what its write reads (as changes.Performed, in rows)."""

    item: BatchItem
    subscription: SubscriptionRow
    actor: Actor
    seen_version: int


def rows(items: Sequence[BatchItem]) -> dict[int, SubscriptionRow]:
    """The items' subscriptions, fresh, by id, with the batch's products."""
    products = {item.product_id: item.product for item in items if item.product is not None}
    ids = {sid for item in items if (sid := changes.subscription_id(item)) is not None}
    if not ids:
        return {}
    found = {}
    for row in db.session.execute(sa.select(*_COLUMNS).join(Customer, Customer.id == Subscription.customer_id)
                                  .where(Subscription.id.in_(ids))):
        subscription = SubscriptionRow(*row)
        subscription.product = products.get(subscription.product_id) or db.session.get(Product, row.product_id)
        found[subscription.id] = subscription
    return found


def load(items: Sequence[BatchItem]) -> changes.Context:
    found = rows(items)
    for item in items:  # kept for the write (performed), on the run's own copy of the item's config
        if (sid := changes.subscription_id(item)) in found:
            item.config[_ROW] = found[sid]
    return changes.Context(found, get_connector(), utcnow())


def _read_at_load(item: BatchItem) -> SubscriptionRow | None:
    """The row this run read to validate and perform the item, if the vendor call acted on that version: the write
    holds only where that version still holds (renewal_writes.update_versions), so reading it again adds nothing."""
    row = item.config.get(_ROW)
    return row if row is not None and row.version == item.config.get("_seen_version") else None


def performed(done: Sequence[kinds.Done]) -> list[Done]:
    """The subscriptions and the imports' creators of the items done, read before the batch writes."""
    if not done:
        return []
    items = [item for item, _ in done]
    subscriptions = {row.id: row for item in items if (row := _read_at_load(item)) is not None}
    if len(subscriptions) < len(items):
        subscriptions.update(rows([item for item in items if changes.subscription_id(item) not in subscriptions]))
    creators = {import_id: Actor(*user) for import_id, *user in db.session.execute(
        sa.select(Import.id, User.id, User.email, User.name, User.locale).join(User, User.id == Import.created_by_id)
        .where(Import.id.in_({item.import_id for item in items})))}
    return [Done(item, subscriptions[sid], creators[item.import_id],
                 item.config.get("_seen_version", subscriptions[sid].version))
            for item in items if (sid := changes.subscription_id(item)) in subscriptions]
