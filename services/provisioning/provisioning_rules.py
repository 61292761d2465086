"""The validation rules of a cloud provisioning, as one function for the wizard's pre-flight and for the run.

Each rule answers with a Check (ok, or the reason shown to the reseller); the import fails with the
reasons of those not ok. Everything the rules read from the database comes in a Facts, loaded in two
queries for a whole batch of imports.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import Customer, Product, Reseller, Subscription, SubscriptionStatus, TermsAcceptance, db, utcnow
from models.json_rows import JsonRows
from services.connectors import Connector, ConnectorError, ProvisionRequest
from services.connectors.local import GUID
from services.numbers import parse_int

BILLING_START_WINDOW = timedelta(days=365)
ALIGNMENTS = {"": _l("No alignment"), "calendar-month": _l("End of the calendar month"),
              "existing": _l("Co-terminous with the customer's other subscriptions")}

# Lazy: a run checks every rule of every item and reads only the reasons; the wizard's review shows the labels.
LABELS = {"parent": _l("Parent account active"), "service": _l("Service active and terms accepted"),
          "once": _l("Not already present (once per account)"),
          "prerequisite": _l("Prerequisite subscription present"),
          "vendor": _l("Configuration and vendor fields valid")}


@dataclass(frozen=True)
class Check:
    key: str
    ok: bool
    reason: str = ""

    @property
    def label(self) -> str:
        return str(LABELS[self.key])


@dataclass
class Facts:
    """What the rules read from the database, loaded once for a whole batch of imports."""

    accepted: set[tuple[int, int, int]] = field(default_factory=set)  # (reseller, product, version)
    owned: dict[int, set[int]] = field(default_factory=dict)           # customer -> live product ids


def config_errors(product: Product, config: dict[str, Any], at_run: bool = False) -> dict[str, str]:
    """Field -> message for every configuration value this service refuses.

    `at_run`: the import is running now, so a billing start chosen as "today" days ago is still fine.
    """
    errors: dict[str, str] = {}
    if not str(config.get("name") or "").strip() or len(str(config.get("name"))) > 120:
        errors["name"] = _("Enter a subscription name of up to 120 characters.")
    quantity = config.get("quantity")
    if not isinstance(quantity, int) or not 1 <= quantity <= product.max_quantity:
        errors["quantity"] = _("Enter a quantity from 1 to %(max)s.", max=product.max_quantity)
    if config.get("billing_type") not in product.billing_types:
        errors["billing_type"] = _("Use one of this service's billing types: %(allowed)s.",
                                   allowed=", ".join(product.billing_types))
    if config.get("end_date_alignment", "") not in ALIGNMENTS:
        errors["end_date_alignment"] = _("Choose an end-date alignment from the list.")
    tenant = str(config.get("tenant_id") or "")
    if (product.vendor.name == "Microsoft" or tenant) and not GUID.match(tenant):
        errors["tenant_id"] = _("Enter the tenant id as a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).")
    if not re.fullmatch(r"\d{0,10}", str(config.get("partner_id") or "")):
        errors["partner_id"] = _("The partner (MPN) id is a number of up to 10 digits.")
    if not _billing_start_ok(config.get("billing_start") or "", at_run):
        errors["billing_start"] = _("Choose a billing start date from today to a year from now.")
    for key in ("contract_id", "quote_id"):
        if len(str(config.get(key) or "")) > 60:
            errors[key] = _("Use at most 60 characters.")
    return errors


def _billing_start_ok(value: str, at_run: bool) -> bool:
    if not value:
        return True
    try:
        start = date.fromisoformat(value)
    except ValueError:
        return False
    today = utcnow().date()
    return at_run or today <= start <= today + BILLING_START_WINDOW


# --- the validation rules ------------------------------------------------------------------------

# The (customer, product) pairs a batch's rules ask about, as a table (load_facts' `asked`).
_ASKED = JsonRows(Subscription.__table__.c.customer_id, Subscription.__table__.c.product_id, name="asked")


def load_facts(pairs: set[tuple[int, int]], customer_ids: set[int],
               asked: set[tuple[int, int]] | None = None) -> Facts:
    """Terms acceptances of (reseller, product) pairs and live subscriptions of customers: two queries.

    With `asked`, the (customer, product) pairs the rules will read (items' products and their prerequisites),
    only those are looked up, one index probe each, instead of every live subscription of `customer_ids`: a batch
    of imports for customers that already hold thousands of subscriptions read them all."""
    facts = Facts()
    if pairs:
        rows = db.session.execute(sa.select(TermsAcceptance.reseller_id, TermsAcceptance.product_id,
                                            TermsAcceptance.version).where(
            TermsAcceptance.reseller_id.in_({r for r, _ in pairs}),
            TermsAcceptance.product_id.in_({p for _, p in pairs})))
        facts.accepted = {tuple(row) for row in rows}
    if asked is not None:
        if asked:
            _load_owned(facts, asked)
    elif customer_ids:
        rows = db.session.execute(sa.select(Subscription.customer_id, Subscription.product_id).distinct().where(
            Subscription.customer_id.in_(customer_ids), Subscription.status != SubscriptionStatus.CANCELLED))
        for customer_id, product_id in rows:
            facts.owned.setdefault(customer_id, set()).add(product_id)
    return facts


def _load_owned(facts: Facts, asked: set[tuple[int, int]]) -> None:
    pair = _ASKED.table()
    live = sa.exists().where(Subscription.customer_id == pair.c.customer_id,
                             Subscription.product_id == pair.c.product_id,
                             Subscription.status != SubscriptionStatus.CANCELLED)
    rows = db.session.execute(sa.select(pair.c.customer_id, pair.c.product_id).where(live),
                              {"rows": _ASKED.param({"customer_id": c, "product_id": p} for c, p in asked)})
    for customer_id, product_id in rows:
        facts.owned.setdefault(customer_id, set()).add(product_id)


def check_rules(reseller: Reseller, customer: Customer, product: Product, config: dict[str, Any],
                facts: Facts, connector: Connector, at_run: bool = False) -> list[Check]:
    """Every rule with its result; the import fails with the reasons of those not ok."""
    owned = facts.owned.get(customer.id, set())
    return [_parent_account(reseller, customer), _service(reseller, product, facts),
            _once_per_account(product, owned), _prerequisite(product, owned),
            _vendor_fields(customer, product, config, connector, at_run)]


def preflight(reseller: Reseller, customer: Customer, product: Product, config: dict[str, Any],
              connector: Connector) -> list[Check]:
    facts = load_facts({(reseller.id, product.id)}, {customer.id})
    return check_rules(reseller, customer, product, config, facts, connector)


def _parent_account(reseller: Reseller, customer: Customer) -> Check:
    if not reseller.is_active:
        return Check("parent", False, _("Parent account not active: the reseller account is suspended."))
    if not customer.is_active:
        return Check("parent", False,
                     _("Parent account not active: the customer %(code)s is inactive.", code=customer.code))
    return Check("parent", True)


def service_available(product: Product) -> bool:
    """The catalog offers it: the service, its brand and its category are all active."""
    return product.active and product.vendor.active and product.category.active


def _service(reseller: Reseller, product: Product, facts: Facts) -> Check:
    if not product.active:
        return Check("service", False, _("The service %(name)s is not active.", name=product.name))
    if not product.vendor.active:
        return Check("service", False, _("The service %(name)s is not offered: its brand %(brand)s is inactive.",
                                         name=product.name, brand=product.vendor.name))
    if not product.category.active:
        return Check("service", False, _("The service %(name)s is not offered: its category %(category)s is "
                                         "inactive.", name=product.name, category=product.category.name))
    if product.terms_text.strip() and (reseller.id, product.id, product.terms_version) not in facts.accepted:
        return Check("service", False, _("The terms and conditions (version %(v)s) of %(name)s are "
                                                "not accepted.", v=product.terms_version, name=product.name))
    return Check("service", True)


def _once_per_account(product: Product, owned: set[int]) -> Check:
    if product.once_per_account and product.id in owned:
        return Check("once", False, _("%(name)s can exist only once per account and the customer "
                                             "already has it.", name=product.name))
    return Check("once", True)


def _prerequisite(product: Product, owned: set[int]) -> Check:
    if product.prerequisite_id is not None and product.prerequisite_id not in owned:
        return Check("prerequisite", False, _("%(name)s needs an active %(pre)s subscription on the "
                                                     "customer first.", name=product.name,
                                                     pre=product.prerequisite.name))
    return Check("prerequisite", True)


def _vendor_fields(customer: Customer, product: Product, config: dict[str, Any], connector: Connector,
                   at_run: bool) -> Check:
    reasons = list(config_errors(product, config, at_run).values())
    if not reasons:
        try:
            reasons = connector.validate(provision_request("preflight", customer, product, config))
        except ConnectorError as exc:
            reasons = [str(exc)]
    return Check("vendor", not reasons, " ".join(reasons))


def provision_request(key: str, customer: Customer, product: Product, config: dict[str, Any]) -> ProvisionRequest:
    return ProvisionRequest(
        idempotency_key=key, vendor=product.vendor.name, sku=product.sku,
        quantity=parse_int(config.get("quantity")) or 0,
        billing_type=str(config.get("billing_type") or ""), customer_name=customer.name,
        customer_domain=customer.domain, tenant_id=str(config.get("tenant_id") or ""),
        fields={k: config.get(k) for k in ("partner_id", "end_date_alignment", "billing_start", "is_billable",
                                           "notify_me", "contract_id", "quote_id")})
