"""What happened to a subscription: its events and its seat lots (models.subscriptions).

Writers flush, never commit. record_provisioned() is set-based (one select and two INSERT … SELECT for any
number of subscriptions), so the import engine's batch writer calls it as well as a single provisioning.
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import lazy_gettext as _l

from models import (
    Import,
    ImportItem,
    Subscription,
    SubscriptionEvent,
    SubscriptionEventKind,
    SubscriptionSeats,
    User,
    db,
    utcnow,
)
from models.json_rows import JsonRows
from services.subscriptions import terms

_EVENTS = JsonRows(*(c for c in SubscriptionEvent.__table__.c if c.name != "id"))
_LOTS = JsonRows(*(c for c in SubscriptionSeats.__table__.c if c.name != "id"))
_PROVISIONED = JsonRows(Subscription.__table__.c.import_item_id,
                        *(c for c in SubscriptionEvent.__table__.c if c.name not in ("id", "subscription_id")))


def record_provisioned(subscription_ids: Collection[int], actor_id: int | None = None) -> None:
    """The "provisioned" event (by the import's creator, else `actor_id`) and the first seat lot of each
    subscription given.

    Call it once, right after the subscriptions were inserted (flushed): the lot opens the term's window.
    """
    if not subscription_ids:
        return
    ids = list(subscription_ids)
    rows = db.session.execute(
        sa.select(Subscription.id, Subscription.created_at, Subscription.quantity, Subscription.unit_price,
                  Subscription.currency, Subscription.billing_type, Subscription.term_end, Import.created_by_id)
        .outerjoin(ImportItem, ImportItem.id == Subscription.import_item_id)
        .outerjoin(Import, Import.id == ImportItem.import_id)
        .where(Subscription.id.in_(ids))).all()
    events = [{"subscription_id": r.id, "kind": SubscriptionEventKind.PROVISIONED, "at": r.created_at,
               "actor_id": r.created_by_id or actor_id, "on_behalf_of_id": None,
               "details": _provisioned(r.quantity, r.unit_price, r.currency, r.billing_type, r.term_end)}
              for r in rows]
    _insert(SubscriptionEvent, _EVENTS, events)
    _first_lots(ids)


def encode_provisioned(subscriptions: Collection[tuple[dict, int | None]]) -> str:
    """The "provisioned" events of subscriptions not inserted yet, from import items: (their values, as
    services.provisioning.subscription_values makes them, and the import creator's id) pairs. Encoded before a batch
    writes anything (the import engine's writer), for record_encoded_provisioned once they are inserted."""
    scale = Decimal(1).scaleb(-Subscription.__table__.c.unit_price.type.scale)
    return _PROVISIONED.param(
        {"import_item_id": values["import_item_id"], "kind": SubscriptionEventKind.PROVISIONED,
         "at": values["created_at"], "actor_id": actor_id, "on_behalf_of_id": None,
         "details": _provisioned(values["quantity"], Decimal(values["unit_price"]).quantize(scale, ROUND_HALF_UP),
                                 values["currency"], values["billing_type"], values["term_end"])}
        for values, actor_id in subscriptions)


def record_encoded_provisioned(events: str, subscription_ids: Collection[int]) -> None:
    """record_provisioned for subscriptions of import items whose events were encoded (encode_provisioned): each
    event finds its subscription by the import item, nothing is read back."""
    table, rows = Subscription.__table__, _PROVISIONED.table()
    # A lookup per event (the unique index on import_item_id), not a join: SQLite would scan the subscriptions.
    subscription_id = sa.select(table.c.id).where(table.c.import_item_id == rows.c.import_item_id).scalar_subquery()
    found = sa.select(subscription_id, *(rows.c[c.name] for c in _PROVISIONED.columns[1:]))
    db.session.execute(sa.insert(SubscriptionEvent.__table__).from_select(
        ["subscription_id", *(c.name for c in _PROVISIONED.columns[1:])], found), {"rows": events})
    _first_lots(list(subscription_ids))


def _provisioned(quantity: int, unit_price: Decimal, currency: str, billing_type: str,
                 term_end: datetime) -> dict[str, Any]:
    """A "provisioned" event's details (the unit price as stored: with the column's scale)."""
    return {"quantity": quantity, "unit_price": str(unit_price), "currency": currency, "billing_type": billing_type,
            "term_end": term_end.isoformat()}


def _first_lots(ids: list[int]) -> None:
    """The lots straight from the subscriptions, in SQL (no datetimes read back and written again)."""
    lots = sa.select(Subscription.id, Subscription.quantity, sa.literal(0), Subscription.unit_price,
                     Subscription.term_start, Subscription.cancellable_until).where(Subscription.id.in_(ids))
    db.session.execute(sa.insert(SubscriptionSeats.__table__).from_select(
        ["subscription_id", "quantity", "removed", "unit_price", "added_at", "cancellable_until"], lots))


def _insert(model, json_rows: JsonRows, values: list[dict]) -> None:
    insert = sa.insert(model.__table__).from_select([c.name for c in json_rows.columns],
                                                    sa.select(json_rows.table()))
    db.session.execute(insert, {"rows": json_rows.param(values)})


def record(subscription: Subscription, kind: SubscriptionEventKind, actor: User | None, at: datetime | None = None,
           **details: Any) -> SubscriptionEvent:
    """One timeline event. Decimals in `details` are stored as strings; while staff act as a reseller user
    (services.audit.act_for) the staff member is the actor and the user is `on_behalf_of`, as in the audit log."""
    actor_id = actor.id if actor is not None and actor.is_authenticated else None
    on_behalf_of_id = None
    acting = g.get("audit_acting_for") if has_request_context() else None
    if acting is not None and actor_id is not None and actor_id == acting[1]:
        actor_id, on_behalf_of_id = acting
    event = SubscriptionEvent(subscription_id=subscription.id, kind=kind, at=at or utcnow(), actor_id=actor_id,
                              on_behalf_of_id=on_behalf_of_id,
                              details={k: str(v) if isinstance(v, Decimal | datetime) else v
                                       for k, v in details.items()})
    db.session.add(event)
    return event


def events(subscription_id: int) -> list[SubscriptionEvent]:
    """The timeline, oldest first, with who did each."""
    return list(db.session.scalars(
        sa.select(SubscriptionEvent).where(SubscriptionEvent.subscription_id == subscription_id)
        .options(sa.orm.joinedload(SubscriptionEvent.actor), sa.orm.joinedload(SubscriptionEvent.on_behalf_of))
        .order_by(SubscriptionEvent.at, SubscriptionEvent.id)))


def add_seats(subscription: Subscription, quantity: int, at: datetime, unit_price: Decimal) -> SubscriptionSeats:
    """A lot of seats added at `at`, with its own 7-day window (the subscription's quantity is the caller's)."""
    lot = SubscriptionSeats(subscription_id=subscription.id, quantity=quantity, removed=0, unit_price=unit_price,
                            added_at=at, cancellable_until=terms.window_end(at))
    db.session.add(lot)
    return lot


def open_term_lot(subscription: Subscription) -> SubscriptionSeats:
    """At a renewal (after term_start moved): one lot of the whole quantity at the renewal price and window."""
    return add_seats(subscription, subscription.quantity, subscription.term_start, subscription.unit_price)


def current_lots(subscription: Subscription) -> list[SubscriptionSeats]:
    """The lots of the current term, oldest first."""
    return list(db.session.scalars(
        sa.select(SubscriptionSeats).where(SubscriptionSeats.subscription_id == subscription.id,
                                           SubscriptionSeats.added_at >= subscription.term_start)
        .order_by(SubscriptionSeats.added_at, SubscriptionSeats.id)))


def removable_seats(subscription: Subscription, now: datetime) -> int:
    """How many seats a decrease may take at `now`: those of current lots still inside their window."""
    return sum(lot.removable(now) for lot in current_lots(subscription))


def window(subscription: Subscription, now: datetime) -> tuple[datetime, int] | None:
    """(cancellable until, whole hours left) while the subscription may be cancelled at `now`, else None."""
    until = subscription.cancellable_until
    if subscription.status != "ACTIVE" or now >= until:
        return None
    return until, terms.hours_left(until, now)


EVENT_LABELS = {
    SubscriptionEventKind.PROVISIONED: _l("Provisioned"),
    SubscriptionEventKind.SEATS_ADDED: _l("Seats added"),
    SubscriptionEventKind.SEATS_REMOVED: _l("Seats removed"),
    SubscriptionEventKind.CHANGE_SCHEDULED: _l("Change scheduled"),
    SubscriptionEventKind.CANCELLED: _l("Cancelled"),
    SubscriptionEventKind.RENEWED: _l("Renewed"),
    SubscriptionEventKind.EXPIRED: _l("Expired"),
    SubscriptionEventKind.SUSPENDED: _l("Suspended"),
    SubscriptionEventKind.REACTIVATED: _l("Reactivated"),
    SubscriptionEventKind.AUTO_RENEW_ON: _l("Auto-renew turned on"),
    SubscriptionEventKind.AUTO_RENEW_OFF: _l("Auto-renew turned off"),
}
