"""Scheduled provisioning: terms, the run time window, scheduling an import and running one of its items.

The rules themselves are in services.provisioning.provisioning_rules: the same function runs as the wizard's
pre-flight and again when the import runs.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from models import (
    Customer,
    Import,
    ImportItem,
    ImportSource,
    ItemStatus,
    Product,
    Reseller,
    ServiceDraft,
    Subscription,
    SubscriptionStatus,
    TermsAcceptance,
    User,
    db,
    utcnow,
)
from models.json_rows import JsonRows
from queues import enqueue_after_commit
from services import DomainError, audit
from services.catalog import pricing
from services.imports.import_batch import BatchImport, BatchItem
from services.provisioning import provisioning_rules as rules
from services.subscriptions import terms, timeline

MIN_LEAD = timedelta(minutes=1)
MAX_LEAD = timedelta(days=365)
RUN_ONE_JOB = "jobs.provisioning.run_import"
RUN_DUE_JOB = "jobs.provisioning.run_due_imports"
JOB_TIMEOUT = 900  # seconds; a due-imports run stops taking batches after a deadline well inside this
DUE_RUN_LEAD = timedelta(seconds=1)  # how early a second's due-imports run is queued (it waits for the second)


class ProvisioningError(DomainError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class AmbiguousTimeError(ProvisioningError):
    """A local time the clocks show twice: the user must say which occurrence."""


def run_job_id(import_id: int) -> str:
    return f"run-import-{import_id}"


def due_job_id(run_at: datetime) -> str:
    """One scheduled job per second: every import due in that second shares it."""
    return f"run-due-imports-{int(run_at.timestamp())}"


def enqueue_due_run(run_at: datetime) -> None:
    """After the commit, schedule the one run of every import due at `run_at` (any kind: provisionings, changes,
    term ends). Queued a moment early, the run waits for its second (jobs.provisioning.run_due_imports):
    rq-scheduler's 1-second tick and the work horse's start no longer make the imports up to a second late."""
    enqueue_after_commit("default", RUN_DUE_JOB, run_at, job_id=due_job_id(run_at), at=run_at - DUE_RUN_LEAD,
                         timeout=JOB_TIMEOUT)


# --- terms and the run time --------------------------------------------------------------------------

def terms_accepted(reseller_id: int, product: Product) -> bool:
    """True once the reseller accepted the product's current terms version (or it has none)."""
    if not product.terms_text.strip():
        return True
    return db.session.scalar(sa.select(TermsAcceptance.id).where(
        TermsAcceptance.reseller_id == reseller_id, TermsAcceptance.product_id == product.id,
        TermsAcceptance.version == product.terms_version)) is not None


def accept_terms(reseller: Reseller, product: Product, user: User) -> None:
    """Record the acceptance of the current terms for the whole reseller (price-list level)."""
    if terms_accepted(reseller.id, product):
        return
    db.session.add(TermsAcceptance(reseller_id=reseller.id, product_id=product.id,
                                   version=product.terms_version, accepted_by_id=user.id))
    db.session.flush()
    audit.record(user, "terms.accepted", product, version=product.terms_version)


def check_run_at(run_at: datetime, now: datetime | None = None, min_lead: timedelta = MIN_LEAD) -> datetime:
    """The run time, rounded up to a whole second, if it is in the allowed window."""
    now = now or utcnow()
    if run_at.tzinfo is None:
        raise ProvisioningError(_("The provisioning time must be given in UTC."), "run_at")
    if run_at.microsecond:
        run_at = run_at.replace(microsecond=0) + timedelta(seconds=1)
    if run_at < now + min_lead:
        raise ProvisioningError(_("Choose a moment at least one minute from now (UTC)."), "run_at")
    if run_at > now + MAX_LEAD:
        raise ProvisioningError(_("Choose a moment at most a year from now."), "run_at")
    return run_at


def local_to_utc(wall: datetime, zone: str, fold: int | None = None) -> datetime:
    """A wall-clock time in `zone` as aware UTC, across daylight-saving changes.

    A time the clocks skip (spring forward) is refused; a time they repeat (fall back) needs `fold`:
    0 for its first occurrence, 1 for the second.
    """
    tz = ZoneInfo(zone)
    wall = wall.replace(tzinfo=None, second=0, microsecond=0)
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first.astimezone(UTC)
    shown = {"time": wall.strftime("%Y-%m-%d %H:%M"), "zone": zone}
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
        raise ProvisioningError(_("%(time)s does not exist in %(zone)s: the clocks skip that hour when "
                                  "daylight saving time starts. Choose another time.", **shown), "run_at")
    if fold is None:
        raise AmbiguousTimeError(_("%(time)s happens twice in %(zone)s, when daylight saving time ends: "
                                  "choose its first occurrence (%(first)s UTC) or its second (%(second)s UTC).",
                                  first=first.astimezone(UTC).strftime("%H:%M"),
                                  second=second.astimezone(UTC).strftime("%H:%M"), **shown), "run_at")
    return (second if fold else first).astimezone(UTC)


# --- scheduling and running ----------------------------------------------------------------------

def schedule_import(draft: ServiceDraft, customer: Customer, user: User, run_at: datetime | None,
                    min_lead: timedelta = MIN_LEAD) -> Import:
    """Turn the draft into a PENDING import; its job is sent after commit (now, or by rq-scheduler at run_at)."""
    product = draft.product
    if product is None:
        raise ProvisioningError(_("Choose a service and accept its terms first."))
    imp = schedule_service(customer, product, dict(draft.config), user, run_at, min_lead)
    db.session.delete(draft)
    db.session.flush()
    return imp


def schedule_service(customer: Customer, product: Product, config: dict, user: User, run_at: datetime | None,
                     min_lead: timedelta = MIN_LEAD) -> Import:
    """A PENDING import of one service for one customer (the wizard's last step, or a row of a CSV file)."""
    if not rules.service_available(product):  # it, its brand or its category was deactivated meanwhile
        raise ProvisioningError(_("The service %(name)s is not active.", name=product.name))
    if not terms_accepted(customer.reseller_id, product):
        raise ProvisioningError(_("Choose a service and accept its terms first."))
    if rules.config_errors(product, config):
        raise ProvisioningError(_("The configuration has errors; correct them first."))
    now = utcnow()
    run_at = now.replace(microsecond=0) if run_at is None else check_run_at(run_at, now, min_lead)
    imp = Import(reseller_id=customer.reseller_id, created_by_id=user.id, source=ImportSource.SCHEDULED,
                 account_type="subscription", name=f"{config['name']} · {customer.name}"[:255],
                 import_type=product.sku, run_at=run_at)
    imp.items.append(ImportItem(customer_id=customer.id, product_id=product.id, config=config,
                                quantity=config["quantity"], billing_type=config["billing_type"]))
    db.session.add(imp)
    db.session.flush()
    if run_at <= now:
        enqueue_after_commit("default", RUN_ONE_JOB, imp.id, job_id=run_job_id(imp.id), job_timeout=JOB_TIMEOUT)
    else:
        enqueue_due_run(run_at)
    audit.record(user, "import.scheduled", imp, run_at=run_at.isoformat(), sku=product.sku, customer=customer.code)
    return imp


def record_subscription(imp: Import, item: ImportItem, external_id: str, facts: rules.Facts) -> Subscription:
    """The subscription, at the product's price of today (not of the scheduling day), as an ORM object (imports
    record theirs through services.imports.provision, set-based)."""
    subscription = Subscription(**subscription_values(imp, item, external_id, utcnow()))
    db.session.add(subscription)
    db.session.flush()
    timeline.record_provisioned([subscription.id])
    item.status, item.external_id, item.reasons = ItemStatus.COMPLETED, external_id, []
    facts.owned.setdefault(item.customer_id, set()).add(item.product_id)
    return subscription


def subscription_values(imp: Import | BatchImport, item: ImportItem | BatchItem, external_id: str,
                        now: datetime, unit_price: Decimal | None = None) -> dict:
    """The columns of the subscription an item creates, at the reseller's price of the product at `now` (a batch
    passes it, from pricing.prices_of_pairs)."""
    if unit_price is None:
        unit_price = pricing.reseller_price(imp.reseller_id, item.product, now)
    config, product = item.config, item.product
    billing_start = date.fromisoformat(config["billing_start"]) if config.get("billing_start") else None
    return {"reseller_id": imp.reseller_id, "customer_id": item.customer_id, "product_id": product.id,
            "import_item_id": item.id, "name": config.get("name") or product.name, "quantity": item.quantity,
            "billing_type": item.billing_type, "tenant_id": config.get("tenant_id") or "",
            "external_id": external_id,
            "unit_price": unit_price, "unit_cost": product.cost,
            "currency": product.currency, "billing_start": billing_start, "config": dict(config),
            "status": SubscriptionStatus.ACTIVE, "created_at": now, **terms.initial_term(item.billing_type, now)}


# A new subscription's version is the column's default (0).
_SUBSCRIPTIONS = JsonRows(*(column for column in Subscription.__table__.c if column.name not in ("id", "version")))


def encode_subscriptions(values: list[dict]) -> str:
    """Subscriptions (each from subscription_values) as the one parameter of insert_subscriptions."""
    return _SUBSCRIPTIONS.param(values)


def insert_subscriptions(rows: str, events: str | None = None) -> None:
    """Insert the encoded subscriptions in one statement, then their provisioned events (`events`, from
    timeline.encode_provisioned, else read from them) and first seat lots."""
    insert = sa.insert(Subscription.__table__).from_select([c.name for c in _SUBSCRIPTIONS.columns],
                                                           sa.select(_SUBSCRIPTIONS.table()))
    ids = db.session.scalars(insert.returning(Subscription.__table__.c.id), {"rows": rows}).all()
    if events is None:
        timeline.record_provisioned(ids)
    else:
        timeline.record_encoded_provisioned(events, ids)
