"""Writing a batch of seat additions set-based (kinds_change.record_quantity): 10,000 quantity changes scheduled for
the same second, one by one through the ORM and the ledger's one-charge writer, ran at about 40 a second.

For the batch's increases (not those for the renewal, nor decreases, which take seats from lots one by one): one
UPDATE … FROM for the quantities (where the version read before the vendor call still holds, else
changes.ChangeConflict: the batch runs again), the current period's fees and the seats-added charges in one INSERT
(services.billing.fees' writer: ON CONFLICT on the idempotency key, the keys and amounts of services.billing.ledger's
charge_subscription_fee and charge_seats_added), one INSERT each for the lots, the events and the audit rows, and
the e-mails rendered with one renderer per language and inserted at once.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace

from flask import current_app
from flask_babel import force_locale

from models import ChargeKind, SubscriptionEventKind
from services.billing import fees, ledger
from services.mail import outbox
from services.subscriptions import renewal_writes, terms, timeline
from services.subscriptions.changes import Performed


def is_increase(done: Performed) -> bool:
    return not done.item.config.get("at_renewal") and done.item.quantity > done.subscription.quantity


def write_increases(ready: Sequence[Performed], now: datetime) -> None:
    if not ready:
        return
    added = [(done, done.item.quantity - done.subscription.quantity) for done in ready]
    renewal_writes.update_versions({"quantity": None}, [
        SimpleNamespace(id=done.subscription.id, version=done.seen_version, quantity=done.item.quantity)
        for done in ready])
    charges, lots, events, told = [], [], [], []
    window = terms.window_end(now)
    for done, seats_added in added:
        sub = done.subscription
        seats = terms.Seats(sub.unit_price, seats_added, sub.billing_type, sub.term_start, sub.term_end, now)
        charge = seats.charge_at_adding()
        charges.append(fees._fee(sub, now))  # the period's fee before it changes (written once, by its key)
        charges.append(_seats_added_charge(done, seats, charge))
        lots.append({"subscription_id": sub.id, "quantity": seats_added, "removed": 0, "unit_price": sub.unit_price,
                     "added_at": now, "cancellable_until": window})
        figures = {"added": seats_added, "quantity": sub.quantity + seats_added, "charge": charge,
                   "currency": sub.currency}
        events.append({"subscription_id": sub.id, "kind": SubscriptionEventKind.SEATS_ADDED, "at": now,
                       "actor_id": done.actor.id, "on_behalf_of_id": None,
                       "details": {k: str(v) if k == "charge" else v for k, v in figures.items()}})
        told.append((done, figures))
    fees._insert(charges)
    timeline._insert(timeline.SubscriptionSeats, timeline._LOTS, lots)
    timeline._insert(timeline.SubscriptionEvent, timeline._EVENTS, events)
    _emails(told)
    renewal_writes.audit_rows("subscription.seats_added", [
        (done.actor.id, done.subscription.id, {k: str(v) for k, v in figures.items()}) for done, figures in told])


def _seats_added_charge(done: Performed, seats: terms.Seats, amount) -> dict:
    """ledger.charge_seats_added's row: the rest of the billing period the seats join, prorated."""
    sub = done.subscription
    _start, end = fees.period_at(seats.term_start, seats.billing_type, seats.since)
    cost = terms.Seats(sub.unit_cost, seats.quantity, seats.billing_type, seats.term_start, seats.term_end,
                       seats.since).charge_at_adding()
    return {"reseller_id": sub.reseller_id, "customer_id": sub.customer_id, "subscription_id": sub.id,
            "kind": ChargeKind.SEATS_ADDED, "description": sub.name[:255], "quantity": seats.quantity,
            "unit_price": ledger.cents(seats.unit_price), "amount": ledger.cents(amount), "cost": ledger.cents(cost),
            "currency": sub.currency, "period_start": seats.since.date(), "period_end": end.date(),
            "occurred_at": seats.since, "covers_until": None,
            "idempotency_key": f"seats-added-{_item_key(done)}"}


def _item_key(done: Performed) -> str:
    from services.subscriptions.changes import item_key

    return item_key(done.item)


def _emails(told: Sequence[tuple[Performed, dict]]) -> None:
    """Each change's e-mail to who asked for it, in their language (one renderer per language)."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    by_language = defaultdict(list)
    for done, figures in told:
        by_language[done.actor.locale or default].append((done, figures))
    link = outbox.public_url("subscriptions.show", subscription_id=renewal_writes.ID_PLACEHOLDER)
    messages = []
    for language, group in by_language.items():
        with force_locale(language):
            render = outbox.renderer()
            for done, figures in group:
                sub, user = done.subscription, done.actor
                messages.append(render(user.email, "subscription_changed", sub, action="seats_added",
                                       subscription=sub, customer=sub.customer, figures=figures,
                                       link=link.replace(str(renewal_writes.ID_PLACEHOLDER), str(sub.id)),
                                       name=user.name or user.email))
    outbox.queue_encoded_emails(outbox.encode_emails(messages))
