"""Asking for a change to a subscription (its page's buttons and the Schedule a change form).

Each change is an import of one item of a change kind (services.subscriptions.kinds_change, kinds_renewal) run by
the import engine: `request_change` makes it and, for one asked for now, `run_now` runs it at once in the request
(the local connector answers in milliseconds; a vendor that is down leaves it FAILED with the reason, retryable in
My imports). Scheduled ones wait in My imports ("Scheduled change") until their time and can be cancelled there.

- Once per form: the form's token is the import's once_key ("request-<token>"), so a double submit finds the first
  change instead of making a second one.
- Pinned to what the user saw: an action asked for now carries the subscription's version shown on the page;
  `claim_version` bumps it at once (a conditional UPDATE), so of two actions racing from two pages (a cancellation
  and a seat change) only the first is accepted and the other is told; its item checks the version again when it
  runs.
- Pre-flight: `preflight` runs the kind's validation on the item before it is made (the confirmation page shows
  the reasons), and the engine validates again when it runs.
- Conflicts: a change asked for now lists the subscription's scheduled changes (`scheduled_changes`) and the user
  says whether to keep or cancel them; none is wiped silently.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from models import (
    Import,
    ImportItem,
    ImportSource,
    ImportStatus,
    ItemStatus,
    Subscription,
    SubscriptionEventKind,
    SubscriptionStatus,
    User,
    db,
    utcnow,
)
from services import audit
from services.imports import import_batch, imports, kinds
from services.subscriptions import changes, kinds_change, kinds_renewal, timeline
from services.subscriptions.changes import ChangeRefused

TOKEN_MAX = 64
RENEWAL_LEAD = timedelta(hours=1)  # a change "for the renewal" runs this long before the term end
LABELS = {kinds_change.CANCEL: "Cancel", kinds_change.QUANTITY: "Change quantity",
          kinds_renewal.BILLING_TYPE: "Change billing type", kinds_renewal.AUTO_RENEW: "Cancel at term end",
          kinds_renewal.RENEW: "Renew", kinds_renewal.EXPIRE: "Expire"}
SCHEDULABLE = (kinds_change.QUANTITY, kinds_renewal.BILLING_TYPE, kinds_renewal.AUTO_RENEW)


def preflight(subscription: Subscription, kind: str, quantity: int | None = None, billing_type: str | None = None,
              at_renewal: bool = False, auto_renew: bool | None = None) -> list[str]:
    """Why the change could not run now (the kind's own validation, as at run time but for the version)."""
    item = _batch_item(subscription, kind, quantity, billing_type, {"at_renewal": at_renewal, "auto_renew": auto_renew})
    return kinds.preflight(kind, [item])[0]


def _batch_item(subscription: Subscription, kind: str, quantity: int | None, billing_type: str | None,
                config: dict) -> import_batch.BatchItem:
    imp = import_batch.BatchImport(0, subscription.reseller_id, 0, "", "", utcnow(), None, "", "", None,
                                   ImportSource.CHANGE)
    return import_batch.BatchItem(0, 0, kind, None, subscription.customer_id, subscription.product_id,
                                  ItemStatus.PENDING, subscription.quantity if quantity is None else quantity,
                                  billing_type or subscription.billing_type,
                                  {"subscription_id": subscription.id, **config}, None, subscription.product, imp)


def find_requested(reseller_id: int, token: str | None) -> Import | None:
    """The change a form carrying `token` already made (a double submit), if any."""
    if not token or len(token) > TOKEN_MAX:
        return None
    return db.session.scalar(sa.select(Import).where(Import.once_key == f"request-{token}",
                                                     Import.reseller_id == reseller_id))


def claim_version(subscription: Subscription, shown_version: int) -> None:
    """Accept one change per version shown: the first of two racing requests wins, the other is told."""
    won = db.session.execute(
        sa.update(Subscription).where(Subscription.id == subscription.id, Subscription.version == shown_version,
                                      Subscription.status == SubscriptionStatus.ACTIVE)
        .values(version=Subscription.version + 1).execution_options(synchronize_session=False)).rowcount
    if won != 1:
        raise ChangeRefused(_("The subscription changed while you were looking at it (another change came first). "
                              "Nothing was done: look at it again and decide."))
    db.session.refresh(subscription, ["version"])


def request_change(subscription: Subscription, user: User, kind: str, *, token: str | None, shown_version: int | None,
                   quantity: int | None = None, billing_type: str | None = None, run_at: datetime | None = None,
                   at_renewal: bool = False, auto_renew: bool | None = None,
                   cancel_scheduled: bool = False) -> Import:
    """Make the import of one change (flush only); now (`run_at` None, pinned to `shown_version`) or scheduled."""
    done = find_requested(subscription.reseller_id, token)
    if done is not None:
        return done
    now = utcnow().replace(microsecond=0)
    config = {"subscription_id": subscription.id, "at_renewal": at_renewal}
    if auto_renew is not None:
        config["auto_renew"] = auto_renew
    scheduled = run_at is not None or at_renewal
    if at_renewal:
        run_at = max(subscription.term_end - RENEWAL_LEAD, now)
    if run_at is not None and run_at < now:
        raise ChangeRefused(_("Choose a time in the future."), "run_at")
    reasons = preflight(subscription, kind, quantity, billing_type, at_renewal)
    if reasons and not (scheduled and kind == kinds_change.QUANTITY and _only_window_reason(subscription, quantity)):
        raise ChangeRefused(" ".join(reasons), "quantity" if kind == kinds_change.QUANTITY else None)
    if not scheduled:
        claim_version(subscription, shown_version if shown_version is not None else subscription.version)
        config["version"] = subscription.version
        if cancel_scheduled:
            cancel_scheduled_changes(subscription, user)
    imp = Import(reseller_id=subscription.reseller_id, created_by_id=user.id,
                 source=ImportSource.SCHEDULED_CHANGE if scheduled else ImportSource.CHANGE,
                 account_type="subscription", name=f"{LABELS[kind]} · {subscription.name}"[:255],
                 import_type=subscription.product.sku, run_at=run_at or now,
                 once_key=f"request-{token}" if token and len(token) <= TOKEN_MAX else None)
    imp.items.append(ImportItem(kind=kind, customer_id=subscription.customer_id, product_id=subscription.product_id,
                                subscription_id=subscription.id,
                                quantity=subscription.quantity if quantity is None else quantity,
                                billing_type=billing_type or subscription.billing_type, config=config))
    db.session.add(imp)
    db.session.flush()
    if scheduled:
        _enqueue_at(imp)
        timeline.record(subscription, SubscriptionEventKind.CHANGE_SCHEDULED, user, now, reason=LABELS[kind],
                        quantity=imp.items[0].quantity)
    audit.record(user, "subscription.change_requested", subscription, kind=kind, import_id=imp.id,
                 run_at=imp.run_at.isoformat())
    return imp


def _only_window_reason(subscription: Subscription, quantity: int | None) -> bool:
    """A decrease scheduled for later may become possible (seats added meanwhile); the run validates it then."""
    return quantity is not None and 1 <= quantity < subscription.quantity


def _enqueue_at(imp: Import) -> None:
    from services.provisioning import provisioning

    provisioning.enqueue_due_run(imp.run_at)


def run_now(import_id: int, attempts: int = 3) -> Import:
    """Run a change asked for now, in this request (after its commit), and return it as it ended.

    A batch that lost a race on the subscription (changes.ChangeConflict) is rolled back; it is run again at once
    and its validation then gives the reason."""
    from jobs.provisioning import run_import

    for _attempt in range(attempts):
        try:
            run_import(import_id)
            break
        except changes.ChangeConflict:
            db.session.rollback()
            db.session.execute(sa.update(Import).where(Import.id == import_id, Import.status == ImportStatus.RUNNING,
                                                       Import.lease_until <= utcnow())
                               .values(status=ImportStatus.PENDING, claim_token=None, lease_until=None))
            db.session.commit()
    db.session.expire_all()
    return db.session.get(Import, import_id)


def outcome(imp: Import) -> tuple[bool | None, list[str]]:
    """(True: done, False: failed with reasons, None: still waiting or running) of a change's one item."""
    item = imp.items[0] if imp.items else None
    if item is None or item.status is ItemStatus.PENDING:
        return None, []
    return item.status is ItemStatus.COMPLETED, list(item.reasons or [])


def scheduled_changes(subscription_id: int) -> list[tuple[Import, ImportItem]]:
    """The subscription's changes scheduled by a user (not the renewal job's own), soonest first."""
    return [(imp, item) for imp, item in changes.pending_items(subscription_id, SCHEDULABLE)
            if imp.source is ImportSource.SCHEDULED_CHANGE]


def cancel_scheduled_changes(subscription: Subscription, user: User) -> int:
    cancelled = 0
    for imp, _item in scheduled_changes(subscription.id):
        try:
            imports.cancel_import(subscription.reseller_id, imp.id, user)
            cancelled += 1
        except imports.ImportStateError:
            pass  # it started meanwhile: it runs, validated against the change made now
    return cancelled


def set_auto_renew(subscription: Subscription, user: User, on: bool, shown_version: int) -> None:
    """Auto-renew on or off: a direct change (no vendor call until the term end), audited, on the timeline."""
    if subscription.auto_renew == on:
        raise ChangeRefused(_("Auto-renew is already on.") if on else _("Auto-renew is already off."))
    claim_version(subscription, shown_version)
    db.session.execute(sa.update(Subscription).where(Subscription.id == subscription.id)
                       .values(auto_renew=on).execution_options(synchronize_session=False))
    db.session.refresh(subscription, ["auto_renew"])
    kind = SubscriptionEventKind.AUTO_RENEW_ON if on else SubscriptionEventKind.AUTO_RENEW_OFF
    timeline.record(subscription, kind, user)
    audit.record(user, f"subscription.{kind.value}", subscription)
    _tell_auto_renew(subscription, user, on)


def _tell_auto_renew(subscription: Subscription, user: User, on: bool) -> None:
    from services.mail import outbox

    with outbox.in_language_of(user):
        outbox.queue_email(user.email, "subscription_changed", related=subscription,
                           action="auto_renew_on" if on else "auto_renew_off", subscription=subscription,
                           customer=subscription.customer, figures={"term_end": subscription.term_end},
                           link=outbox.public_url("subscriptions.show", subscription_id=subscription.id),
                           name=user.name or user.email)
