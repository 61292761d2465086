"""Scheduled provisioning: terms, configuration checks, the validation rules, scheduling and running one item.

The same `check_rules` runs as the wizard's pre-flight and again when the import runs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from jobs import enqueue_after_commit
from models import (
    CANCELLATION_WINDOW,
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
from services import DomainError, audit
from services.connectors import Connector, ConnectorError, ProvisionRequest
from services.connectors.local import GUID

MIN_LEAD = timedelta(minutes=1)
MAX_LEAD = timedelta(days=365)
ALIGNMENTS = {"": _l("No alignment"), "calendar-month": _l("End of the calendar month"),
              "existing": _l("Co-terminous with the customer's other subscriptions")}
RUN_ONE_JOB = "jobs.provisioning.run_import"
RUN_DUE_JOB = "jobs.provisioning.run_due_imports"
JOB_TIMEOUT = 900  # seconds; a due-imports run stops taking batches after a deadline well inside this


class ProvisioningError(DomainError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    ok: bool
    reason: str = ""


@dataclass
class Facts:
    """What the rules read from the database, loaded once for a whole batch of imports."""

    accepted: set[tuple[int, int, int]] = field(default_factory=set)  # (reseller, product, version)
    owned: dict[int, set[int]] = field(default_factory=dict)           # customer -> live product ids


def run_job_id(import_id: int) -> str:
    return f"run-import-{import_id}"


def due_job_id(run_at: datetime) -> str:
    """One scheduled job per second: every import due in that second shares it."""
    return f"run-due-imports-{int(run_at.timestamp())}"


# --- terms and configuration ---------------------------------------------------------------------

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


def config_errors(product: Product, config: dict[str, Any]) -> dict[str, str]:
    """Field -> message for every configuration value this service refuses."""
    errors: dict[str, str] = {}
    if not str(config.get("name") or "").strip() or len(str(config.get("name"))) > 120:
        errors["name"] = _("Enter a subscription name of up to 120 characters.")
    quantity = config.get("quantity")
    if not isinstance(quantity, int) or not 1 <= quantity <= product.max_quantity:
        errors["quantity"] = _("Enter a quantity from 1 to %(max)s.", max=product.max_quantity)
    if config.get("billing_type") not in product.billing_types:
        errors["billing_type"] = _("Choose one of this service's billing types.")
    if config.get("end_date_alignment", "") not in ALIGNMENTS:
        errors["end_date_alignment"] = _("Choose an end-date alignment from the list.")
    tenant = str(config.get("tenant_id") or "")
    if (product.vendor.name == "Microsoft" or tenant) and not GUID.match(tenant):
        errors["tenant_id"] = _("Enter the tenant id as a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).")
    if not re.fullmatch(r"\d{0,10}", str(config.get("partner_id") or "")):
        errors["partner_id"] = _("The partner (MPN) id is a number of up to 10 digits.")
    if not _billing_start_ok(config.get("billing_start") or ""):
        errors["billing_start"] = _("Choose a billing start date from today to a year from now.")
    for key in ("contract_id", "quote_id"):
        if len(str(config.get(key) or "")) > 60:
            errors[key] = _("Use at most 60 characters.")
    return errors


def _billing_start_ok(value: str) -> bool:
    if not value:
        return True
    try:
        start = date.fromisoformat(value)
    except ValueError:
        return False
    today = utcnow().date()
    return today <= start <= today + MAX_LEAD


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


# --- the validation rules ------------------------------------------------------------------------

def load_facts(pairs: set[tuple[int, int]], customer_ids: set[int]) -> Facts:
    """Terms acceptances of (reseller, product) pairs and live subscriptions of customers: two queries."""
    facts = Facts()
    if pairs:
        rows = db.session.execute(sa.select(TermsAcceptance.reseller_id, TermsAcceptance.product_id,
                                            TermsAcceptance.version).where(
            TermsAcceptance.reseller_id.in_({r for r, _ in pairs}),
            TermsAcceptance.product_id.in_({p for _, p in pairs})))
        facts.accepted = {tuple(row) for row in rows}
    if customer_ids:
        rows = db.session.execute(sa.select(Subscription.customer_id, Subscription.product_id).where(
            Subscription.customer_id.in_(customer_ids), Subscription.status != SubscriptionStatus.CANCELLED))
        for customer_id, product_id in rows:
            facts.owned.setdefault(customer_id, set()).add(product_id)
    return facts


def check_rules(reseller: Reseller, customer: Customer, product: Product, config: dict[str, Any],
                facts: Facts, connector: Connector) -> list[Check]:
    """Every rule with its result; the import fails with the reasons of those not ok."""
    owned = facts.owned.get(customer.id, set())
    return [_parent_account(reseller, customer), _service(reseller, product, facts),
            _once_per_account(product, owned), _prerequisite(product, owned),
            _vendor_fields(customer, product, config, connector)]


def preflight(reseller: Reseller, customer: Customer, product: Product, config: dict[str, Any],
              connector: Connector) -> list[Check]:
    facts = load_facts({(reseller.id, product.id)}, {customer.id})
    return check_rules(reseller, customer, product, config, facts, connector)


def _parent_account(reseller: Reseller, customer: Customer) -> Check:
    label = _("Parent account active")
    if not reseller.is_active:
        return Check("parent", label, False, _("Parent account not active: the reseller account is suspended."))
    if not customer.is_active:
        return Check("parent", label, False,
                     _("Parent account not active: the customer %(code)s is inactive.", code=customer.code))
    return Check("parent", label, True)


def _service(reseller: Reseller, product: Product, facts: Facts) -> Check:
    label = _("Service active and terms accepted")
    if not product.active:
        return Check("service", label, False, _("The service %(name)s is not active.", name=product.name))
    if product.terms_text.strip() and (reseller.id, product.id, product.terms_version) not in facts.accepted:
        return Check("service", label, False, _("The terms and conditions (version %(v)s) of %(name)s are "
                                                "not accepted.", v=product.terms_version, name=product.name))
    return Check("service", label, True)


def _once_per_account(product: Product, owned: set[int]) -> Check:
    label = _("Not already present (once per account)")
    if product.once_per_account and product.id in owned:
        return Check("once", label, False, _("%(name)s can exist only once per account and the customer "
                                             "already has it.", name=product.name))
    return Check("once", label, True)


def _prerequisite(product: Product, owned: set[int]) -> Check:
    label = _("Prerequisite subscription present")
    if product.prerequisite_id is not None and product.prerequisite_id not in owned:
        return Check("prerequisite", label, False, _("%(name)s needs an active %(pre)s subscription on the "
                                                     "customer first.", name=product.name,
                                                     pre=product.prerequisite.name))
    return Check("prerequisite", label, True)


def _vendor_fields(customer: Customer, product: Product, config: dict[str, Any], connector: Connector) -> Check:
    label = _("Configuration and vendor fields valid")
    reasons = list(config_errors(product, config).values())
    if not reasons:
        try:
            reasons = connector.validate(provision_request("preflight", customer, product, config))
        except ConnectorError as exc:
            reasons = [str(exc)]
    return Check("vendor", label, not reasons, " ".join(reasons))


def provision_request(key: str, customer: Customer, product: Product, config: dict[str, Any]) -> ProvisionRequest:
    return ProvisionRequest(
        idempotency_key=key, vendor=product.vendor.name, sku=product.sku, quantity=int(config.get("quantity") or 0),
        billing_type=str(config.get("billing_type") or ""), customer_name=customer.name,
        customer_domain=customer.domain, tenant_id=str(config.get("tenant_id") or ""),
        fields={k: config.get(k) for k in ("partner_id", "end_date_alignment", "billing_start", "is_billable",
                                           "notify_me", "contract_id", "quote_id")})


# --- scheduling and running ----------------------------------------------------------------------

def schedule_import(draft: ServiceDraft, customer: Customer, user: User, run_at: datetime | None,
                    min_lead: timedelta = MIN_LEAD) -> Import:
    """Turn the draft into a PENDING import; its job is sent after commit (now, or by rq-scheduler at run_at)."""
    product = draft.product
    if product is None or not terms_accepted(customer.reseller_id, product):
        raise ProvisioningError(_("Choose a service and accept its terms first."))
    if config_errors(product, draft.config):
        raise ProvisioningError(_("The configuration has errors; correct them first."))
    now = utcnow()
    run_at = now.replace(microsecond=0) if run_at is None else check_run_at(run_at, now, min_lead)
    imp = Import(reseller_id=customer.reseller_id, created_by_id=user.id, source=ImportSource.SCHEDULED,
                 account_type="subscription", name=f"{draft.config['name']} · {customer.name}"[:255],
                 import_type=product.sku, run_at=run_at)
    imp.items.append(ImportItem(customer_id=customer.id, product_id=product.id, config=dict(draft.config),
                                quantity=draft.config["quantity"], billing_type=draft.config["billing_type"]))
    db.session.add(imp)
    db.session.delete(draft)
    db.session.flush()
    if run_at <= now:
        enqueue_after_commit("default", RUN_ONE_JOB, imp.id, job_id=run_job_id(imp.id), job_timeout=JOB_TIMEOUT)
    else:
        enqueue_after_commit("default", RUN_DUE_JOB, job_id=due_job_id(run_at), at=run_at, timeout=JOB_TIMEOUT)
    audit.record(user, "import.scheduled", imp, run_at=run_at.isoformat(), sku=product.sku, customer=customer.code)
    return imp


def provision_item(imp: Import, item: ImportItem, facts: Facts, connector: Connector) -> tuple[list[str], str]:
    """Validate again and provision through the connector (idempotent on the import id); no writes."""
    checks = check_rules(imp.reseller, item.customer, item.product, item.config, facts, connector)
    reasons = [c.reason for c in checks if not c.ok]
    if reasons:
        return reasons, ""
    request = provision_request(f"import-{imp.id}-item-{item.id}", item.customer, item.product, item.config)
    try:
        return [], connector.provision(request).external_id
    except ConnectorError as exc:
        return [str(exc)], ""


def record_subscription(imp: Import, item: ImportItem, external_id: str, facts: Facts) -> Subscription:
    """The subscription, at the product's price of today (not of the scheduling day)."""
    now = utcnow()
    config, product = item.config, item.product
    billing_start = date.fromisoformat(config["billing_start"]) if config.get("billing_start") else None
    subscription = Subscription(
        reseller_id=imp.reseller_id, customer_id=item.customer_id, product_id=product.id, import_item_id=item.id,
        name=config.get("name") or product.name, quantity=item.quantity, billing_type=item.billing_type,
        tenant_id=config.get("tenant_id") or "", external_id=external_id, unit_price=product.price,
        unit_cost=product.cost, currency=product.currency, billing_start=billing_start, config=dict(config),
        created_at=now, cancellable_until=now + CANCELLATION_WINDOW)
    db.session.add(subscription)
    item.status, item.external_id, item.reasons = ItemStatus.COMPLETED, external_id, []
    facts.owned.setdefault(item.customer_id, set()).add(product.id)
    return subscription
