"""What every subscription-change kind shares (services.subscriptions.kinds_*): loading, the checks every change
makes, the guarded write, and telling the reseller.

An item of a change kind names its subscription in `config["subscription_id"]` (and ImportItem.subscription_id,
which the lists and the conflict check query). An action asked for on the subscription's page pins the
`Subscription.version` it was shown (`config["version"]`): if anything changed the subscription since, the item
fails with a clear reason at run time instead of acting on what the user did not see.

Every write is `UPDATE subscription … SET version = version + 1 WHERE id = … AND version = <read before the vendor
call>` (`guarded_update`): of two changes racing on one subscription (a cancellation and a seat change, a renewal
and a cancellation) only one writes. The loser raises ChangeConflict inside the batch's transaction, which rolls the
batch back; the engine runs it again (services.imports: the sweep, or run_now at once), and its validation, on
the winner's state, fails with the reason or, for a scheduled change, applies it to the new state.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from models import Import, ImportItem, Product, Subscription, SubscriptionStatus, User, db, utcnow
from services import DomainError, audit
from services.connectors import Connector, get_connector
from services.imports.import_batch import BatchItem
from services.mail import outbox
from services.subscriptions import terms


class ChangeConflict(Exception):
    """Another change wrote the subscription first; the batch is rolled back and runs again."""


@dataclass
class Context:
    subscriptions: dict[int, Subscription]
    connector: Connector
    now: datetime


def subscription_id(item: BatchItem) -> int | None:
    value = item.config.get("subscription_id")
    return value if isinstance(value, int) else None


def load(items: Sequence[BatchItem]) -> Context:
    ids = {sid for item in items if (sid := subscription_id(item)) is not None}
    subscriptions = {s.id: s for s in db.session.scalars(
        sa.select(Subscription).where(Subscription.id.in_(ids))
        .options(joinedload(Subscription.product).joinedload(Product.vendor)))} if ids else {}
    return Context(subscriptions, get_connector(), utcnow())


def subscription_of(context: Context, item: BatchItem) -> Subscription | None:
    subscription = context.subscriptions.get(subscription_id(item))
    if subscription is None or item.imp is None or subscription.reseller_id != item.imp.reseller_id:
        return None
    return subscription


def common_reasons(subscription: Subscription | None, item: BatchItem, at_run: bool) -> list[str]:
    """What stops any change: no such subscription, not active, or changed since the user saw it."""
    if subscription is None:
        return [_("The subscription does not exist.")]
    if subscription.status is not SubscriptionStatus.ACTIVE:
        return [_("The subscription is %(status)s; only an active subscription can be changed.",
                  status=subscription.status.value)]
    pinned = item.config.get("version")
    if at_run and pinned is not None and pinned != subscription.version:
        return [_("The subscription changed after this was asked for (another change came first); "
                  "nothing was done. Look at it again and decide.")]
    return []


def seen(item: BatchItem, subscription: Subscription) -> None:
    """Note the version the vendor call acted on: the write happens only if it still holds."""
    item.config["_seen_version"] = subscription.version


def guarded_update(subscription_id: int, seen_version: int, **values: Any) -> None:
    won = db.session.execute(
        sa.update(Subscription).where(Subscription.id == subscription_id, Subscription.version == seen_version)
        .values(version=Subscription.version + 1, **values).execution_options(synchronize_session=False)).rowcount
    if won != 1:
        raise ChangeConflict(f"subscription {subscription_id} changed while version {seen_version} was acted on")


@dataclass
class Performed:
    """An item done, with what its write reads: the subscription (fresh) and who asked for it."""

    item: BatchItem
    subscription: Subscription
    actor: User
    seen_version: int


def performed(done: Sequence[tuple[BatchItem, str]]) -> list[Performed]:
    """The subscriptions and the imports' creators of the items done, read before the batch writes."""
    if not done:
        return []
    ids = {subscription_id(item) for item, _ in done}
    subscriptions = {s.id: s for s in db.session.scalars(
        sa.select(Subscription).where(Subscription.id.in_(ids))
        .options(joinedload(Subscription.product), joinedload(Subscription.customer)))}
    creators = dict(db.session.execute(
        sa.select(Import.id, Import.created_by_id).where(Import.id.in_({item.import_id for item, _ in done}))).all())
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(set(creators.values()))))}
    return [Performed(item, subscriptions[subscription_id(item)], users[creators[item.import_id]],
                      item.config.get("_seen_version", subscriptions[subscription_id(item)].version))
            for item, _ in done]


def tell(done: Performed, action: str, **figures: Any) -> None:
    """Audit the change and e-mail the user who asked for it, in their language, with its figures."""
    subscription, user = done.subscription, done.actor
    audit.record(user, f"subscription.{action}", subscription, **{k: str(v) for k, v in figures.items()})
    link = outbox.public_url("subscriptions.show", subscription_id=subscription.id)
    with outbox.in_language_of(user):
        outbox.queue_email(user.email, "subscription_changed", related=subscription, action=action,
                           subscription=subscription, customer=subscription.customer, figures=figures, link=link,
                           name=user.name or user.email)


def lots_as_seats(subscription: Subscription, lots) -> list[tuple[Any, terms.Seats]]:
    return [(lot, terms.Seats(lot.unit_price, lot.active, subscription.billing_type, subscription.term_start,
                              subscription.term_end, lot.added_at)) for lot in lots if lot.active]


def item_key(item: BatchItem) -> str:
    return f"import-{item.import_id}-item-{item.id}"


class ChangeRefused(DomainError):
    """A change the user asked for cannot be made; the message says why (shown next to the form)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def pending_items(subscription_id: int, kinds: Sequence[str] | None = None) -> list[tuple[Import, ImportItem]]:
    """The subscription's changes waiting to run (scheduled or asked for), soonest first."""
    from models import ImportStatus

    stmt = (sa.select(Import, ImportItem).join(ImportItem, ImportItem.import_id == Import.id)
            .where(ImportItem.subscription_id == subscription_id, Import.status == ImportStatus.PENDING)
            .order_by(Import.run_at, Import.id))
    if kinds is not None:
        stmt = stmt.where(ImportItem.kind.in_(list(kinds)))
    return [(imp, item) for imp, item in db.session.execute(stmt).all()]
