"""Writing a batch of renewals and expiries set-based (kinds_renewal.record_renew, record_expire): 100,000
subscriptions end their terms at the same midnight, and one by one through the ORM they ran at about 10 a second.

Renewals: one UPDATE … FROM for the subscriptions (only where the version read before the vendor call still holds: a
batch in which one lost a race raises changes.ChangeConflict and runs again), one INSERT each for the new term's seat
lots and the timeline events, the batch's prices in a few queries (pricing.prices_of_pairs per renewal day), one
INSERT of the RENEWAL charges (services.billing.fees' writer: once per period, by its idempotency key), of the
e-mails and of the audit rows. Expiries: the same UPDATE (status EXPIRED), events, e-mails and audit rows.

E-mail: one per import, to its creator, listing its subscriptions (renewals.create_term_ends makes one import per
reseller, term-end second and outcome): a reseller whose 100 subscriptions renew at midnight gets one message, not
100. An import of one subscription says it as before ("Subscription … renewed").
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from models import AuditEvent, Subscription, SubscriptionEventKind, SubscriptionStatus, db, utcnow
from models.json_rows import JsonRows
from services.billing import fees
from services.catalog import pricing
from services.mail import outbox
from services.subscriptions import changes, terms, timeline
from services.subscriptions.term_end_rows import Done

_TERM_COLUMNS = ("quantity", "billing_type", "unit_price", "unit_cost", "config", "term_start", "term_end",
                 "price_protected_until", "cancellable_until", "auto_renew")
_AUDIT = JsonRows(*(AuditEvent.__table__.c[n] for n in (
    "at", "actor_id", "on_behalf_of_id", "action", "object_type", "object_id", "details", "ip")))
ID_PLACEHOLDER = 987654321  # a link built once per batch, each subscription's id put in its place


def write(ready: Sequence[Done]) -> None:
    if not ready:
        return
    renewed = _new_terms(ready)
    update_versions(dict.fromkeys(_TERM_COLUMNS), [new for _done, new in renewed])
    lots, events = [], []
    for done, new in renewed:
        lots.append({"subscription_id": new.id, "quantity": new.quantity, "removed": 0,
                     "unit_price": new.unit_price, "added_at": new.term_start,
                     "cancellable_until": new.cancellable_until})
        events.append(_event(done, SubscriptionEventKind.RENEWED, new.term_start, {
            "quantity": new.quantity, "unit_price": str(new.unit_price), "currency": new.currency,
            "term_end": new.term_end.isoformat()}))
    timeline._insert(timeline.SubscriptionSeats, timeline._LOTS, lots)
    timeline._insert(timeline.SubscriptionEvent, timeline._EVENTS, events)
    # The new term's first fee (RENEWAL), as the fees job writes fees: one INSERT, once per period (its key).
    fees._insert([fees._fee(new, new.term_start) for _done, new in renewed])
    _emails("renewed", [(done, _figures(new)) for done, new in renewed])
    _audit("subscription.renewed", [(done, {"quantity": str(new.quantity), "unit_price": str(new.unit_price),
                                            "term_end": new.term_end.isoformat()}) for done, new in renewed])


def expire(ready: Sequence[Done]) -> None:
    """The subscriptions not set to renew end at their term end: EXPIRED, with the event, e-mail and audit row."""
    if not ready:
        return
    update_versions({"status": SubscriptionStatus.EXPIRED},
                    [SimpleNamespace(id=done.subscription.id, version=done.seen_version) for done in ready])
    timeline._insert(timeline.SubscriptionEvent, timeline._EVENTS, [
        _event(done, SubscriptionEventKind.EXPIRED, done.subscription.term_end,
               {"quantity": done.subscription.quantity}) for done in ready])
    _emails("expired", [(done, {"term_end": done.subscription.term_end,
                                "suspended": done.subscription.status is SubscriptionStatus.SUSPENDED})
                        for done in ready])
    _audit("subscription.expired", [(done, {"term_end": str(done.subscription.term_end)}) for done in ready])


def _event(done: Done, kind: SubscriptionEventKind, at, details: dict) -> dict:
    return {"subscription_id": done.subscription.id, "kind": kind, "at": at, "actor_id": done.actor.id,
            "on_behalf_of_id": None, "details": details}


def _new_terms(ready: Sequence[Done]) -> list[tuple[Done, SimpleNamespace]]:
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


def _next_term(done: Done, start, prices) -> SimpleNamespace:
    from services.subscriptions.kinds_renewal import next_term

    sub = done.subscription
    quantity, billing_type = next_term(sub)
    config = {k: v for k, v in (sub.config or {}).items() if k != "renewal"}
    return SimpleNamespace(
        id=sub.id, version=done.seen_version, reseller_id=sub.reseller_id, customer_id=sub.customer_id,
        name=sub.name, currency=sub.currency, quantity=quantity, billing_type=billing_type,
        unit_price=prices[(sub.reseller_id, sub.product_id)], unit_cost=sub.product.cost, config=config,
        created_at=sub.created_at, **terms.initial_term(billing_type, start))


def update_versions(values: dict, written: Sequence) -> None:
    """UPDATE subscription … FROM the rows `written` (each with id, version and the columns named with None in
    `values`; the other `values` are constants), where each one's version still holds; then version + 1. A row whose
    version moved (another change won) raises changes.ChangeConflict: the batch runs again."""
    from_rows = _rows_of(tuple(name for name, value in values.items() if value is None))
    table, source = Subscription.__table__, from_rows.table()
    values = {name: source.c[name] if value is None else value for name, value in values.items()}
    stmt = (sa.update(table).where(table.c.id == source.c.id, table.c.version == source.c.version)
            .values(version=table.c.version + 1, **values).returning(table.c.id))
    param = from_rows.param({c.name: getattr(row, c.name) for c in from_rows.columns} for row in written)
    won = set(db.session.scalars(stmt, {"rows": param}))
    if len(won) != len(written):
        lost = sorted({row.id for row in written} - won)
        raise changes.ChangeConflict(f"subscriptions {lost} changed while a batch acted on them")


def _rows_of(names: tuple[str, ...]) -> JsonRows:
    return JsonRows(*(Subscription.__table__.c[n] for n in ("id", "version", *names)))


def _figures(new: SimpleNamespace) -> dict:
    return {"quantity": new.quantity, "unit_price": new.unit_price, "currency": new.currency,
            "term_end": new.term_end, "cancellable_until": new.cancellable_until}


def _emails(action: str, written: Sequence[tuple[Done, dict]]) -> None:
    """One e-mail per import to its creator, in their language, listing what happened to its subscriptions."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    by_import: dict[int, list[tuple[Done, dict]]] = defaultdict(list)
    for done, figures in written:
        by_import[done.item.import_id].append((done, figures))
    by_language = defaultdict(list)
    for import_id, group in by_import.items():
        by_language[group[0][0].actor.locale or default].append((import_id, group))
    link = outbox.public_url("subscriptions.show", subscription_id=ID_PLACEHOLDER)
    messages = []
    for language, imports in by_language.items():
        with force_locale(language):
            render = outbox.renderer()
            for import_id, group in imports:
                messages.append(_email(render, action, import_id, group, link))
    outbox.queue_encoded_emails(outbox.encode_emails(messages))


def _email(render, action: str, import_id: int, group: list[tuple[Done, dict]], link: str) -> dict:
    actor = group[0][0].actor
    listed = [{"name": done.subscription.name, "customer": done.subscription.customer_name,
               "link": link.replace(str(ID_PLACEHOLDER), str(done.subscription.id)), **figures}
              for done, figures in group]
    message = render(actor.email, "subscription_term_ends", action=action, subscriptions=listed,
                     name=actor.name or actor.email)
    if len(group) == 1:
        return {**message, "related_type": "Subscription", "related_id": group[0][0].subscription.id}
    return {**message, "related_type": "Import", "related_id": import_id}


def _audit(action: str, written: Sequence[tuple[Done, dict]]) -> None:
    audit_rows(action, [(done.actor.id, done.subscription.id, details) for done, details in written])


def audit_rows(action: str, rows: Sequence[tuple[int, int, dict]]) -> None:
    """services.audit.record's rows for many subscriptions, in one INSERT: (actor id, subscription id, details)."""
    now = utcnow()
    values = [{"at": now, "actor_id": actor_id, "on_behalf_of_id": None, "action": action,
               "object_type": "Subscription", "object_id": str(subscription_id), "details": details, "ip": ""}
              for actor_id, subscription_id, details in rows]
    db.session.execute(sa.insert(AuditEvent.__table__).from_select([c.name for c in _AUDIT.columns],
                                                                   sa.select(_AUDIT.table())),
                       {"rows": _AUDIT.param(values)})
