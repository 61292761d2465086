"""The kinds that act at a term's end or prepare it: "sub_renew", "sub_expire", "sub_billing_type" (the next
term's billing type) and "sub_auto_renew" ("cancel at term end": auto-renew off, scheduled).

Renewal: an auto-renewing subscription starts a new term at its term end (the same UTC moment of day, terms.py),
at the reseller's price of the renewal day (pricing.reseller_price; the old price's protection ends), with the
next term's quantity and billing type if a scheduled change set them (Subscription.config["renewal"]), a new
cancellation window from the new term's start, one lot of its seats, and the first fee of the term (a RENEWAL
charge). A subscription not set to renew becomes EXPIRED instead, and so does a SUSPENDED one (terms.py). Each
item names the term end it acts on (`config["term_end"]`): the job that creates them (services.subscriptions.renewals)
makes one per subscription, term and outcome, and an item whose term has moved (renewed already) or whose
subscription changed fails with the reason.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from flask_babel import gettext as _

from models import BILLING_TYPES, SubscriptionEventKind, SubscriptionStatus
from services.connectors import RenewRequest
from services.imports import kinds
from services.imports.import_batch import BatchItem
from services.subscriptions import changes, renewal_writes, term_end_rows, timeline
from services.subscriptions.changes import Context, Performed

RENEW = "sub_renew"
EXPIRE = "sub_expire"
BILLING_TYPE = "sub_billing_type"
AUTO_RENEW = "sub_auto_renew"


def next_term(subscription) -> tuple[int, str]:
    """The next term's quantity and billing type: as scheduled for the renewal, else as now."""
    renewal = (subscription.config or {}).get("renewal", {})
    return renewal.get("quantity", subscription.quantity), renewal.get("billing_type", subscription.billing_type)


def _term_reasons(context: Context, item: BatchItem, at_run: bool, renewing: bool) -> list[str]:
    subscription = changes.subscription_of(context, item)
    suspended = subscription is not None and subscription.status is SubscriptionStatus.SUSPENDED
    reasons = [] if suspended and not renewing else changes.common_reasons(subscription, item, at_run)
    if reasons:
        return reasons
    if subscription.term_end.isoformat() != item.config.get("term_end"):
        return [_("The subscription's term changed (it was renewed or changed already); nothing was done.")]
    if not suspended and subscription.auto_renew != renewing:
        return [_("Auto-renew was turned off; the subscription ends at its term end instead.") if renewing else
                _("Auto-renew was turned on; the subscription renews at its term end instead.")]
    if at_run and context.now < subscription.term_end:
        return [_("The term has not ended yet.")]
    return []


def validate_renew(context: Context, item: BatchItem, at_run: bool) -> list[str]:
    return _term_reasons(context, item, at_run, renewing=True)


def validate_expire(context: Context, item: BatchItem, at_run: bool) -> list[str]:
    return _term_reasons(context, item, at_run, renewing=False)


def perform_renew(context: Context, item: BatchItem, key: str) -> str:
    subscription = changes.subscription_of(context, item)
    changes.seen(item, subscription)
    quantity, billing_type = next_term(subscription)
    product = subscription.product
    return context.connector.renew(RenewRequest(key, product.vendor.name, product.sku, subscription.external_id,
                                                quantity, billing_type, subscription.tenant_id)).external_id


def perform_expire(context: Context, item: BatchItem, key: str) -> str:
    subscription = changes.subscription_of(context, item)
    changes.seen(item, subscription)
    return subscription.external_id  # the vendor ends a term that is not renewed by itself


def record_renew(done: Sequence[kinds.Done], now: datetime) -> Callable[[], None]:
    """The batch's new terms, set-based (services.subscriptions.renewal_writes)."""
    ready = term_end_rows.performed(done)
    return lambda: renewal_writes.write(ready)


def record_expire(done: Sequence[kinds.Done], now: datetime) -> Callable[[], None]:
    """The batch's expiries, set-based (services.subscriptions.renewal_writes)."""
    ready = term_end_rows.performed(done)
    return lambda: renewal_writes.expire(ready)


# --- prepared for the renewal: billing type, auto-renew off ---------------------------------------------

def validate_billing_type(context: Context, item: BatchItem, at_run: bool) -> list[str]:
    subscription = changes.subscription_of(context, item)
    reasons = changes.common_reasons(subscription, item, at_run)
    if not reasons and item.billing_type not in (subscription.product.billing_types or []):
        reasons.append(_("%(name)s is not offered with the billing type %(type)s.", name=subscription.product.name,
                         type=_(BILLING_TYPES.get(item.billing_type, item.billing_type))))
    return reasons


def validate_auto_renew(context: Context, item: BatchItem, at_run: bool) -> list[str]:
    return changes.common_reasons(changes.subscription_of(context, item), item, at_run)


def perform_noted(context: Context, item: BatchItem, key: str) -> str:
    """Nothing to tell the vendor yet: the renewal (or its absence) does."""
    subscription = changes.subscription_of(context, item)
    changes.seen(item, subscription)
    return subscription.external_id


def record_billing_type(done: Sequence[kinds.Done], now: datetime) -> Callable[[], None]:
    ready = changes.performed(done)
    return lambda: [_write_billing_type(d, now) for d in ready] and None


def _write_billing_type(done: Performed, now: datetime) -> None:
    subscription, billing_type = done.subscription, done.item.billing_type
    config = subscription.config or {}
    changes.guarded_update(subscription.id, done.seen_version,
                           config={**config, "renewal": {**config.get("renewal", {}), "billing_type": billing_type}})
    timeline.record(subscription, SubscriptionEventKind.CHANGE_SCHEDULED, done.actor, now, billing_type=billing_type,
                    reason="at renewal")
    changes.tell(done, "billing_type_at_renewal", billing_type=billing_type)


def record_auto_renew(done: Sequence[kinds.Done], now: datetime) -> Callable[[], None]:
    ready = changes.performed(done)
    return lambda: [_write_auto_renew(d, now) for d in ready] and None


def _write_auto_renew(done: Performed, now: datetime) -> None:
    on = bool(done.item.config.get("auto_renew"))
    changes.guarded_update(done.subscription.id, done.seen_version, auto_renew=on)
    kind = SubscriptionEventKind.AUTO_RENEW_ON if on else SubscriptionEventKind.AUTO_RENEW_OFF
    timeline.record(done.subscription, kind, done.actor, now)
    changes.tell(done, "auto_renew_on" if on else "auto_renew_off", term_end=done.subscription.term_end)


kinds.register(kinds.Kind(RENEW, term_end_rows.load, validate_renew, perform_renew, record_renew))
kinds.register(kinds.Kind(EXPIRE, term_end_rows.load, validate_expire, perform_expire, record_expire))
kinds.register(kinds.Kind(BILLING_TYPE, changes.load, validate_billing_type, perform_noted, record_billing_type))
kinds.register(kinds.Kind(AUTO_RENEW, changes.load, validate_auto_renew, perform_noted, record_auto_renew))
