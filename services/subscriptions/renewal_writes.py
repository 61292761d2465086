"""Writing a batch of renewals set-based (kinds_renewal.record_renew): 100,000 subscriptions renew at the same
midnight, and one by one through the ORM they ran at about 10 a second (each query flushing the rows before it).

One UPDATE … FROM for the subscriptions (only where the version read before the vendor call still holds: a batch in
which one lost a race raises changes.ChangeConflict and runs again), one INSERT each for the new term's seat lots
and the timeline events, the batch's prices in a few queries (pricing.prices_of_pairs per renewal day), one INSERT
of the e-mails (rendered once per language), one INSERT of the RENEWAL charges (services.billing.fees' writer:
once per period, by its idempotency key) and the audit rows last (no query flushes them one by one).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from models import Subscription, SubscriptionEventKind, db
from models.json_rows import JsonRows
from services import audit
from services.billing import fees
from services.catalog import pricing
from services.mail import outbox
from services.subscriptions import changes, terms, timeline
from services.subscriptions.changes import Performed

_TERMS = JsonRows(*(Subscription.__table__.c[n] for n in (
    "id", "version", "quantity", "billing_type", "unit_price", "unit_cost", "config", "term_start", "term_end",
    "price_protected_until", "cancellable_until", "auto_renew")))


def write(ready: Sequence[Performed]) -> None:
    if not ready:
        return
    renewed = _new_terms(ready)
    _update(renewed)
    lots, events = [], []
    for done, new in renewed:
        lots.append({"subscription_id": new.id, "quantity": new.quantity, "removed": 0,
                     "unit_price": new.unit_price, "added_at": new.term_start,
                     "cancellable_until": new.cancellable_until})
        events.append({"subscription_id": new.id, "kind": SubscriptionEventKind.RENEWED, "at": new.term_start,
                       "actor_id": done.actor.id, "on_behalf_of_id": None,
                       "details": {"quantity": new.quantity, "unit_price": str(new.unit_price),
                                   "currency": new.currency, "term_end": new.term_end.isoformat()}})
    timeline._insert(timeline.SubscriptionSeats, timeline._LOTS, lots)
    timeline._insert(timeline.SubscriptionEvent, timeline._EVENTS, events)
    # The new term's first fee (RENEWAL), as the fees job writes fees: one INSERT, once per period (its key).
    fees._insert([fees._fee(new, new.term_start) for _done, new in renewed])
    _emails(renewed)
    for done, new in renewed:
        audit.record(done.actor, "subscription.renewed", done.subscription, quantity=str(new.quantity),
                     unit_price=str(new.unit_price), term_end=new.term_end.isoformat())


def _new_terms(ready: Sequence[Performed]) -> list[tuple[Performed, SimpleNamespace]]:
    """Each subscription's next term: from its term end, at the reseller's price of that day."""
    by_day = defaultdict(list)
    for done in ready:
        by_day[done.subscription.term_end].append(done)
    renewed = []
    for start, same_day in by_day.items():
        prices = pricing.prices_of_pairs({(d.subscription.reseller_id, d.subscription.product) for d in same_day},
                                         start)
        for done in same_day:
            renewed.append((done, _next_term(done, start, prices)))
    return renewed


def _next_term(done: Performed, start, prices) -> SimpleNamespace:
    from services.subscriptions.kinds_renewal import next_term

    sub = done.subscription
    quantity, billing_type = next_term(sub)
    config = {k: v for k, v in (sub.config or {}).items() if k != "renewal"}
    return SimpleNamespace(
        id=sub.id, version=done.seen_version, reseller_id=sub.reseller_id, customer_id=sub.customer_id,
        name=sub.name, currency=sub.currency, quantity=quantity, billing_type=billing_type,
        unit_price=prices[(sub.reseller_id, sub.product_id)], unit_cost=sub.product.cost, config=config,
        created_at=sub.created_at, **terms.initial_term(billing_type, start))


def _update(renewed) -> None:
    table, rows = Subscription.__table__, _TERMS.table()
    values = {c.name: rows.c[c.name] for c in _TERMS.columns if c.name not in ("id", "version")}
    stmt = (sa.update(table).where(table.c.id == rows.c.id, table.c.version == rows.c.version)
            .values(version=table.c.version + 1, **values).returning(table.c.id))
    param = _TERMS.param({c.name: getattr(new, c.name) for c in _TERMS.columns} for _done, new in renewed)
    written = set(db.session.scalars(stmt, {"rows": param}))
    if len(written) != len(renewed):
        lost = sorted({new.id for _done, new in renewed} - written)
        raise changes.ChangeConflict(f"subscriptions {lost} changed while their renewal was acted on")


def _emails(renewed) -> None:
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    by_language = defaultdict(list)
    for done, new in renewed:
        by_language[done.actor.locale or default].append((done, new))
    messages = []
    for language, group in by_language.items():
        with force_locale(language):
            render = outbox.renderer()
            for done, new in group:
                link = outbox.public_url("subscriptions.show", subscription_id=new.id)
                figures = {"quantity": new.quantity, "unit_price": new.unit_price, "currency": new.currency,
                           "term_end": new.term_end, "cancellable_until": new.cancellable_until}
                messages.append(render(done.actor.email, "subscription_changed", done.subscription, action="renewed",
                                       subscription=done.subscription, customer=done.subscription.customer,
                                       figures=figures, link=link, name=done.actor.name or done.actor.email))
    outbox.queue_encoded_emails(outbox.encode_emails(messages))
