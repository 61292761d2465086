"""The kinds "sub_cancel" (cancel within the window, with a prorated credit) and "sub_quantity" (seats added at
any time, prorated to the term end at the protected price, each lot with its own window; seats removed only
while their lot's window is open, credited). See services.subscriptions.changes for what they share.

A "sub_quantity" item whose config says `at_renewal` does not change the seats now: it sets the quantity of the
next term (Subscription.config["renewal"]), which the renewal applies (a decrease below the lots' windows is
allowed then, as at any renewal).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _

from models import SubscriptionEventKind, SubscriptionStatus
from services.billing import ledger
from services.connectors import CancelRequest, ChangeQuantityRequest
from services.imports import kinds
from services.imports.import_batch import BatchItem
from services.subscriptions import changes, seat_writes, terms, timeline
from services.subscriptions.changes import Context, Performed

CANCEL = "sub_cancel"
QUANTITY = "sub_quantity"


# --- cancel --------------------------------------------------------------------------------------------

def validate_cancel(context: Context, item: BatchItem, at_run: bool) -> list[str]:
    subscription = changes.subscription_of(context, item)
    reasons = changes.common_reasons(subscription, item, at_run)
    if not reasons and context.now >= subscription.cancellable_until:
        reasons.append(_("The cancellation window closed on %(when)s; turn auto-renew off to end the subscription "
                         "at its term end.", when=f"{subscription.cancellable_until:%Y-%m-%d %H:%M} UTC"))
    return reasons


def perform_cancel(context: Context, item: BatchItem, key: str) -> str:
    subscription = changes.subscription_of(context, item)
    changes.seen(item, subscription)
    return context.connector.cancel(CancelRequest(key, subscription.product.vendor.name, subscription.product.sku,
                                                  subscription.external_id, subscription.tenant_id)).external_id


def cancellation_credit(subscription, now: datetime) -> Decimal:
    """What cancelling at `now` credits (the confirmation shows it; the ledger writes the same figure)."""
    seats = changes.lots_as_seats(subscription, timeline.current_lots(subscription))
    return sum((lot.credit_at(now) for _, lot in seats), Decimal("0.00"))


def record_cancel(done: Sequence[kinds.Done], now: datetime) -> Callable[[], None]:
    ready = changes.performed(done)
    return lambda: [_write_cancel(d, now) for d in ready] and None


def _write_cancel(done: Performed, now: datetime) -> None:
    subscription = done.subscription
    seats = [lot for _, lot in changes.lots_as_seats(subscription, timeline.current_lots(subscription))]
    _charge_current_period(subscription, now)
    credit = sum((lot.credit_at(now) for lot in seats), Decimal("0.00"))
    changes.guarded_update(subscription.id, done.seen_version, status=SubscriptionStatus.CANCELLED, auto_renew=False)
    if seats:
        ledger.credit_cancellation(subscription, seats, now, key=changes.item_key(done.item))
    timeline.record(subscription, SubscriptionEventKind.CANCELLED, done.actor, now, quantity=subscription.quantity,
                    credit=credit, currency=subscription.currency)
    changes.tell(done, "cancelled", credit=credit, currency=subscription.currency)


def _charge_current_period(subscription, now: datetime) -> None:
    """The period's fee before any credit for it (idempotent: the fees job may have written it already)."""
    start, end = terms.period_containing(subscription.term_start, subscription.billing_type, now)
    ledger.charge_subscription_fee(subscription, start, end)


# --- change quantity -----------------------------------------------------------------------------------

def validate_quantity(context: Context, item: BatchItem, at_run: bool) -> list[str]:
    subscription = changes.subscription_of(context, item)
    reasons = changes.common_reasons(subscription, item, at_run)
    if reasons:
        return reasons
    return quantity_reasons(subscription, item.quantity, context.now, bool(item.config.get("at_renewal")))


def quantity_reasons(subscription, quantity: int, now: datetime, at_renewal: bool = False) -> list[str]:
    maximum = subscription.product.max_quantity
    if quantity < 1:
        return [_("The quantity must be at least 1; to end the subscription, cancel it or turn auto-renew off.")]
    if maximum and quantity > maximum:
        return [_("At most %(max)s seats of %(name)s per subscription.", max=maximum, name=subscription.product.name)]
    if quantity == subscription.quantity and not at_renewal:
        return [_("The subscription already has %(n)s seats.", n=quantity)]
    removing = subscription.quantity - quantity
    if removing > 0 and not at_renewal:
        removable = timeline.removable_seats(subscription, now)
        if removing > removable:
            return [_("Only %(n)s seats can be removed now (seats can be removed within 7 days of being added or "
                      "renewed). The others can be removed at the renewal on %(when)s.", n=removable,
                      when=f"{subscription.term_end:%Y-%m-%d %H:%M} UTC")]
    return []


def perform_quantity(context: Context, item: BatchItem, key: str) -> str:
    subscription = changes.subscription_of(context, item)
    changes.seen(item, subscription)
    if item.config.get("at_renewal"):
        return subscription.external_id  # the renewal tells the vendor
    request = ChangeQuantityRequest(key, subscription.product.vendor.name, subscription.product.sku,
                                    subscription.external_id, item.quantity, subscription.tenant_id)
    return context.connector.change_quantity(request).external_id


def record_quantity(done: Sequence[kinds.Done], now: datetime) -> Callable[[], None]:
    """Increases set-based (services.subscriptions.seat_writes), the rest one by one."""
    ready = changes.performed(done)
    increases = [d for d in ready if seat_writes.is_increase(d)]
    others = [d for d in ready if not seat_writes.is_increase(d)]

    def write() -> None:
        seat_writes.write_increases(increases, now)
        for d in others:
            _write_quantity(d, now)
    return write


def _write_quantity(done: Performed, now: datetime) -> None:
    subscription, quantity = done.subscription, done.item.quantity
    if done.item.config.get("at_renewal"):
        renewal = {**(subscription.config or {}).get("renewal", {}), "quantity": quantity}
        changes.guarded_update(subscription.id, done.seen_version, config={**(subscription.config or {}),
                                                                            "renewal": renewal})
        timeline.record(subscription, SubscriptionEventKind.CHANGE_SCHEDULED, done.actor, now, quantity=quantity,
                        reason="at renewal")
        changes.tell(done, "quantity_at_renewal", quantity=quantity)
        return
    # A decrease (increases are written set-based: seat_writes)
    changes.guarded_update(subscription.id, done.seen_version, quantity=quantity)
    _remove_seats(done, subscription.quantity - quantity, now)


def _remove_seats(done: Performed, removing: int, now: datetime) -> None:
    """Newest lots first, only those still inside their window (validated before the vendor call)."""
    subscription, credit, left = done.subscription, Decimal("0.00"), removing
    _charge_current_period(subscription, now)
    for lot in reversed(timeline.current_lots(subscription)):
        take = min(lot.removable(now), left)
        if take <= 0:
            continue
        seats = terms.Seats(lot.unit_price, take, subscription.billing_type, subscription.term_start,
                            subscription.term_end, lot.added_at)
        ledger.credit_seats_removed(subscription, seats, now, key=f"{changes.item_key(done.item)}-lot-{lot.id}")
        credit += seats.credit_at(now)
        lot.removed += take
        left -= take
    if left:
        raise changes.ChangeConflict(f"subscription {subscription.id}: {left} seats were no longer removable")
    timeline.record(subscription, SubscriptionEventKind.SEATS_REMOVED, done.actor, now, removed=removing,
                    quantity=subscription.quantity - removing, credit=credit, currency=subscription.currency)
    changes.tell(done, "seats_removed", removed=removing, quantity=subscription.quantity - removing, credit=credit,
                 currency=subscription.currency)


def removal_credit(subscription, removing: int, now: datetime) -> Decimal:
    """What removing `removing` seats at `now` credits (newest lots first), for the confirmation."""
    credit, left = Decimal("0.00"), removing
    for lot in reversed(timeline.current_lots(subscription)):
        take = min(lot.removable(now), left)
        if take > 0:
            credit += terms.Seats(lot.unit_price, take, subscription.billing_type, subscription.term_start,
                                  subscription.term_end, lot.added_at).credit_at(now)
            left -= take
    return credit


def addition_charge(subscription, adding: int, now: datetime) -> Decimal:
    return terms.Seats(subscription.unit_price, adding, subscription.billing_type, subscription.term_start,
                       subscription.term_end, now).charge_at_adding()


kinds.register(kinds.Kind(CANCEL, changes.load, validate_cancel, perform_cancel, record_cancel))
kinds.register(kinds.Kind(QUANTITY, changes.load, validate_quantity, perform_quantity, record_quantity))
