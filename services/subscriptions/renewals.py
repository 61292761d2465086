"""Term ends and reminders, set-based (the periodic job jobs.subscriptions.renewals calls these).

`create_term_ends(now)`: for every active subscription whose term ends within RENEWAL_HORIZON (or has ended), one
import of one item: "sub_renew" if it auto-renews, "sub_expire" if not, due at the term end, created by the
reseller's first admin (who gets the e-mail). Once per subscription, term and outcome: the import's once_key is
"renew-<subscription>-<term end epoch>" or "expire-…" (unique), inserted with ON CONFLICT DO NOTHING, so running
the job twice, or two at once, makes one. Three statements whatever the number of subscriptions; rq-scheduler runs
each term-end second's imports with one job (the import engine's RUN_DUE_JOB), and the sweep picks up any it missed.

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
from queues import enqueue_after_commit
from services.mail import outbox
from services.provisioning import provisioning
from services.subscriptions import kinds_renewal

RENEWAL_HORIZON = timedelta(hours=1)
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
    """Once per subscription, term and outcome: a renewal refused because auto-renew was turned off meanwhile
    leaves the way to the term's expiry on the next run."""
    return f"{'renew' if auto_renew else 'expire'}-{subscription_id}-{int(term_end.timestamp())}"


def first_admins(reseller_ids: set[int]) -> dict[int, int]:
    """Each reseller's first enabled admin (lowest id), who is told of what happens without a person asking."""
    rows = db.session.execute(
        sa.select(User.reseller_id, sa.func.min(User.id))
        .where(User.reseller_id.in_(reseller_ids), User.role == Role.RESELLER, User.team_role == TeamRole.ADMIN,
               User.enabled.is_(True)).group_by(User.reseller_id)).all()
    return dict(rows)


def create_term_ends(now: datetime) -> int:
    """Renew/expire imports for the terms ending by now + RENEWAL_HORIZON; returns how many were made now."""
    due = db.session.execute(
        sa.select(Subscription.id, Subscription.reseller_id, Subscription.customer_id, Subscription.product_id,
                  Subscription.quantity, Subscription.billing_type, Subscription.auto_renew, Subscription.term_end,
                  Subscription.name, Product.sku)
        .join(Product, Product.id == Subscription.product_id)
        .where(Subscription.status == SubscriptionStatus.ACTIVE, Subscription.term_end <= now + RENEWAL_HORIZON)
    ).all()
    admins = first_admins({row.reseller_id for row in due})
    due = [row for row in due if row.reseller_id in admins]
    if not due:
        return 0
    by_key = {term_key(row.id, row.term_end, row.auto_renew): row for row in due}
    imports = [{"reseller_id": row.reseller_id, "created_by_id": admins[row.reseller_id],
                "source": ImportSource.SCHEDULED_CHANGE, "account_type": "subscription",
                "name": f"{'Renew' if row.auto_renew else 'Expire'} · {row.name}"[:255], "import_type": row.sku,
                "status": ImportStatus.PENDING, "run_at": row.term_end, "once_key": key, "attempts": 0,
                "completed_count": 0, "failed_count": 0, "total_count": 0, "processed_count": 0, "created_at": now}
               for key, row in by_key.items()]
    made = db.session.execute(_insert_ignoring_conflicts(Import.__table__, _IMPORTS, "once_key")
                              .returning(Import.__table__.c.id, Import.__table__.c.once_key),
                              {"rows": _IMPORTS.param(imports)}).all()
    if not made:
        return 0
    items = [_item(import_id, by_key[key]) for import_id, key in made]
    db.session.execute(sa.insert(ImportItem.__table__).from_select([c.name for c in _ITEMS.columns],
                                                                   sa.select(_ITEMS.table())),
                       {"rows": _ITEMS.param(items)})
    for run_at in sorted({by_key[key].term_end for _, key in made}):
        enqueue_after_commit("default", provisioning.RUN_DUE_JOB, job_id=provisioning.due_job_id(run_at), at=run_at,
                             timeout=provisioning.JOB_TIMEOUT)
    return len(made)


def _item(import_id: int, row) -> dict:
    kind = kinds_renewal.RENEW if row.auto_renew else kinds_renewal.EXPIRE
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
