"""Term ends and reminders, set-based (the periodic job jobs.subscriptions.renewals calls these).

`create_term_ends(now)`: for every ACTIVE or SUSPENDED subscription whose term ends within RENEWAL_HORIZON (or has
ended), an item "sub_renew" if it renews (active and auto-renewing), else "sub_expire" (terms.py: term end), due at
the term end, in an import created by the reseller's first admin (who gets the e-mail). The subscriptions of one
reseller whose terms end in the same second with the same outcome share one import (once_key "renew-r<reseller>-<term
end epoch>" or "expire-…", unique): 100,000 renewals at one midnight are a thousand imports of a hundred items, and a
reseller gets one e-mail listing them. Once per subscription, term and outcome: the group's import is inserted with
ON CONFLICT DO NOTHING, and when it existed already only its subscriptions not among its items (due since:
reactivated, auto-renew turned back on) get an import of their own (once_key "renew-<subscription>-<epoch>", unique
too), so running the job twice, or two at once, makes one. A few statements whatever the number of subscriptions;
rq-scheduler runs each term-end second's imports with one job (the import engine's RUN_DUE_JOB), and the sweep picks
up any it missed.

`send_reminders(now)`: e-mails to the reseller's admins before a renewal (RENEWAL_REMINDER_DAYS, default 7 and 1
days before) and before a cancellation window closes (24 h); each once: a SubscriptionReminder row (unique per
subscription, kind and moment) is inserted first and only the rows inserted now are e-mailed.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from models import (
    Import,
    ImportItem,
    ImportSource,
    ImportStatus,
    ItemStatus,
    Product,
    Role,
    Subscription,
    SubscriptionReminder,
    SubscriptionStatus,
    TeamRole,
    User,
    db,
)
from models.json_rows import JsonRows
from services.mail import outbox
from services.provisioning import provisioning
from services.subscriptions import kinds_renewal

RENEWAL_HORIZON = timedelta(hours=1)
AT_TERM_END = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)  # a term end acts on these
WINDOW_REMINDER = timedelta(hours=24)
_IMPORTS = JsonRows(*(Import.__table__.c[n] for n in (
    "reseller_id", "created_by_id", "source", "account_type", "name", "import_type", "status", "run_at", "once_key",
    "attempts", "completed_count", "failed_count", "total_count", "processed_count", "created_at")))
_ITEMS = JsonRows(*(ImportItem.__table__.c[n] for n in (
    "import_id", "kind", "customer_id", "product_id", "subscription_id", "status", "quantity", "billing_type",
    "config", "reasons", "external_id", "direct_payment")))
_REMINDERS = JsonRows(*(SubscriptionReminder.__table__.c[n] for n in ("subscription_id", "kind", "due_at",
                                                                      "sent_at")))


def _insert_ignoring_conflicts(table: sa.Table, rows: JsonRows, key: str):
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[db.engine.dialect.name]
    # WHERE true: SQLite would read ON CONFLICT as the join's ON after INSERT … SELECT … FROM.
    return (insert(table).from_select([c.name for c in rows.columns], sa.select(rows.table()).where(sa.true()))
            .on_conflict_do_nothing(index_elements=[key] if key else None))


def term_key(subscription_id: int, term_end: datetime, auto_renew: bool) -> str:
    """Once per subscription, term and outcome, for a subscription left out of its group's import (below): a
    renewal refused because auto-renew was turned off meanwhile leaves the way to the term's expiry on the next run."""
    return f"{_outcome(auto_renew)}-{subscription_id}-{int(term_end.timestamp())}"


def group_key(reseller_id: int, term_end: datetime, auto_renew: bool) -> str:
    """One import per reseller, term-end second and outcome: its items are that second's subscriptions."""
    return f"{_outcome(auto_renew)}-r{reseller_id}-{int(term_end.timestamp())}"


def renews(row) -> bool:
    """An active subscription set to renew renews at its term end; any other (auto-renew off, or SUSPENDED: terms.py)
    expires."""
    return row.auto_renew and row.status is SubscriptionStatus.ACTIVE


def _outcome(auto_renew: bool) -> str:
    return "renew" if auto_renew else "expire"


def first_admins(reseller_ids: set[int]) -> dict[int, int]:
    """Each reseller's first enabled admin (lowest id), who is told of what happens without a person asking."""
    rows = db.session.execute(
        sa.select(User.reseller_id, sa.func.min(User.id))
        .where(User.reseller_id.in_(reseller_ids), User.role == Role.RESELLER, User.team_role == TeamRole.ADMIN,
               User.enabled.is_(True)).group_by(User.reseller_id)).all()
    return dict(rows)


def create_term_ends(now: datetime) -> int:
    """Renew/expire imports for the terms ending by now + RENEWAL_HORIZON; returns how many subscriptions were given
    an item now.

    The subscriptions of one reseller whose terms end in the same second with the same outcome share one import
    (group_key): 100,000 renewals at midnight are a thousand imports, not 100,000. A subscription due after its group
    was made (auto-renew turned back on, reactivated) gets an import of its own (term_key)."""
    due = db.session.execute(
        sa.select(Subscription.id, Subscription.reseller_id, Subscription.customer_id, Subscription.product_id,
                  Subscription.quantity, Subscription.billing_type, Subscription.auto_renew, Subscription.term_end,
                  Subscription.name, Subscription.status, Product.sku)
        .join(Product, Product.id == Subscription.product_id)
        .where(Subscription.status.in_(AT_TERM_END), Subscription.term_end <= now + RENEWAL_HORIZON)
        .order_by(Subscription.id)
    ).all()
    admins = first_admins({row.reseller_id for row in due})
    groups: dict[str, list] = {}
    for row in due:
        if row.reseller_id in admins:
            groups.setdefault(group_key(row.reseller_id, row.term_end, renews(row)), []).append(row)
    if not groups:
        return 0
    made = _insert_imports({key: rows for key, rows in groups.items()}, admins, now)
    leftovers = _not_in_their_group({key: rows for key, rows in groups.items() if key not in made})
    made.update(_insert_imports({term_key(row.id, row.term_end, renews(row)): [row] for row in leftovers},
                                admins, now))
    if not made:
        return 0
    items = [_item(import_id, row) for import_id, rows in made.values() for row in rows]
    db.session.execute(sa.insert(ImportItem.__table__).from_select([c.name for c in _ITEMS.columns],
                                                                   sa.select(_ITEMS.table())),
                       {"rows": _ITEMS.param(items)})
    for run_at in sorted({_due(rows) for _id, rows in made.values()}):
        provisioning.enqueue_due_run(run_at)
    return len(items)


def _insert_imports(groups: dict[str, list], admins: dict[int, int], now: datetime) -> dict[str, tuple[int, list]]:
    """One PENDING import per key, unless the key exists already (ON CONFLICT DO NOTHING); those made, by key."""
    if not groups:
        return {}
    imports = [_import(key, rows, admins[rows[0].reseller_id], now) for key, rows in groups.items()]
    made = db.session.execute(_insert_ignoring_conflicts(Import.__table__, _IMPORTS, "once_key")
                              .returning(Import.__table__.c.id, Import.__table__.c.once_key),
                              {"rows": _IMPORTS.param(imports)}).all()
    return {key: (import_id, groups[key]) for import_id, key in made}


def _import(key: str, rows: list, creator_id: int, now: datetime) -> dict:
    first = rows[0]
    renew = renews(first)
    if len(rows) == 1:
        name = f"{'Renew' if renew else 'Expire'} · {first.name}"
    else:
        name = f"{'Renew' if renew else 'Expire'} · {len(rows)} subscriptions"
    skus = {row.sku for row in rows}
    return {"reseller_id": first.reseller_id, "created_by_id": creator_id, "source": ImportSource.SCHEDULED_CHANGE,
            "account_type": "subscription", "name": name[:255], "import_type": first.sku if len(skus) == 1 else "",
            "status": ImportStatus.PENDING, "run_at": _due(rows), "once_key": key, "attempts": 0,
            "completed_count": 0, "failed_count": 0, "total_count": 0, "processed_count": 0,
            "created_at": now}


def _due(rows: list) -> datetime:
    """When a group's import runs: its last term end (they are within the same second; an item whose term has not
    ended yet would fail)."""
    return max(row.term_end for row in rows)


def _not_in_their_group(groups: dict[str, list]) -> list:
    """The subscriptions of groups whose import existed already that are not among its items."""
    if not groups:
        return []
    ids = {row.id for rows in groups.values() for row in rows}
    covered = {(key, sid) for key, sid in db.session.execute(
        sa.select(Import.once_key, ImportItem.subscription_id).join(ImportItem, ImportItem.import_id == Import.id)
        .where(Import.once_key.in_(list(groups)), ImportItem.subscription_id.in_(ids)))}
    return [row for key, rows in groups.items() for row in rows if (key, row.id) not in covered]


def _item(import_id: int, row) -> dict:
    kind = kinds_renewal.RENEW if renews(row) else kinds_renewal.EXPIRE
    return {"import_id": import_id, "kind": kind, "customer_id": row.customer_id, "product_id": row.product_id,
            "subscription_id": row.id, "status": ItemStatus.PENDING, "quantity": row.quantity,
            "billing_type": row.billing_type, "config": {"subscription_id": row.id,
                                                         "term_end": row.term_end.isoformat()},
            "reasons": [], "external_id": "", "direct_payment": False}


# --- reminders ---------------------------------------------------------------------------------------------

def reminder_days() -> list[int]:
    return sorted({int(d) for d in current_app.config.get("RENEWAL_REMINDER_DAYS", (7, 1))}, reverse=True)


def send_reminders(now: datetime) -> int:
    """Queue the reminder e-mails now due, each once; returns how many subscriptions were reminded."""
    sent = 0
    for days in reminder_days():
        ending = sa.and_(Subscription.auto_renew.is_(True), Subscription.term_end > now,
                         Subscription.term_end <= now + timedelta(days=days))
        sent += _remind(f"renewal-{days}d", Subscription.term_end, ending, now, days=days)
    closing = sa.and_(Subscription.cancellable_until > now, Subscription.cancellable_until <= now + WINDOW_REMINDER)
    sent += _remind("window", Subscription.cancellable_until, closing, now)
    return sent


def _remind(kind: str, moment: sa.Column, where, now: datetime, **context) -> int:
    candidates = db.session.execute(sa.select(Subscription.id, moment).where(
        Subscription.status == SubscriptionStatus.ACTIVE, where)).all()
    if not candidates:
        return 0
    rows = [{"subscription_id": sid, "kind": kind, "due_at": at, "sent_at": now} for sid, at in candidates]
    insert = _insert_ignoring_conflicts(SubscriptionReminder.__table__, _REMINDERS, "")
    new = db.session.scalars(insert.returning(SubscriptionReminder.__table__.c.subscription_id),
                             {"rows": _REMINDERS.param(rows)}).all()
    for subscription in db.session.scalars(sa.select(Subscription).where(Subscription.id.in_(new))):
        _email_admins(subscription, kind, **context)
    return len(new)


def _email_admins(subscription: Subscription, kind: str, **context) -> None:
    admins = db.session.scalars(sa.select(User).where(
        User.reseller_id == subscription.reseller_id, User.role == Role.RESELLER, User.team_role == TeamRole.ADMIN,
        User.enabled.is_(True)).order_by(User.id))
    link = outbox.public_url("subscriptions.show", subscription_id=subscription.id)
    for user in admins:
        with outbox.in_language_of(user):
            outbox.queue_email(user.email, "subscription_reminder", related=subscription, kind=kind,
                               subscription=subscription, customer=subscription.customer, link=link,
                               name=user.name or user.email, **context)
