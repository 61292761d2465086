"""Validating the rows of an uploaded CSV, set-based: a few queries for the whole file, never one per row.

The same function runs for the preview and again when the import runs (the database may have changed
in between). Customers follow services.customers' rules and messages; subscriptions run the
provisioning rules of services.provisioning.provisioning_rules (the wizard's pre-flight) on each row.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from models import (
    Customer,
    CustomerStatus,
    Import,
    ImportItem,
    ImportStatus,
    Product,
    ProductKind,
    Reseller,
    Subscription,
    SubscriptionStatus,
    db,
    utcnow,
)
from services.connectors import get_connector
from services.connectors.local import GUID
from services.mail.addresses import AddressError, clean_address
from services.numbers import parse_int
from services.provisioning import new_service, provisioning
from services.provisioning import provisioning_rules as rules

IN_CHUNK = 5000  # values per IN (...) query: well under SQLite's and PostgreSQL's parameter limits
LIMITS = {"code": 60, "name": 255, "email": 254, "domain": 255, "tax_id": 40, "city": 120, "address": 255,
          "zip_code": 20, "contact_name": 120, "phone": 40}
DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
                    "%d/%m/%Y %H:%M")


@dataclass
class RowResult:
    number: int                       # 1-based, among the data rows of the file
    values: dict[str, str]            # as typed, by column
    errors: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # cleaned values, for the run
    cells: dict[str, list[str]] = field(default_factory=dict)  # column -> the errors about its value (the preview)

    @property
    def ok(self) -> bool:
        return not self.errors

    def refuse(self, message: str, column: str | None = None) -> None:
        """An error of this row, shown on `column`'s cell when the file has that column."""
        self.errors.append(message)
        if column in self.values:
            self.cells.setdefault(column, []).append(message)

    @property
    def row_errors(self) -> list[str]:
        """The errors about no one cell (the preview shows them in the row's own column)."""
        on_cells = Counter(m for messages in self.cells.values() for m in messages)
        left = []
        for message in self.errors:
            if on_cells[message]:
                on_cells[message] -= 1
            else:
                left.append(message)
        return left


def validate_rows(kind: str, reseller: Reseller, header: list[str], rows: list[list[str]],
                  exclude_import_id: int | None = None) -> list[RowResult]:
    results = [_row(n, header, raw) for n, raw in enumerate(rows, 1)]
    if kind == "customers":
        _check_customers(reseller, results)
    else:
        _check_subscriptions(reseller, results, exclude_import_id)
    return results


def _row(number: int, header: list[str], raw: list[str]) -> RowResult:
    result = RowResult(number, {c: (raw[i].strip() if i < len(raw) else "") for i, c in enumerate(header)})
    if len(raw) > len(header) and any(v.strip() for v in raw[len(header):]):
        result.errors.append(_("This row has %(n)s values but the file has %(m)s columns; check the delimiters "
                               "and quotes.", n=len(raw), m=len(header)))
    return result


def _chunks(values: list) -> list[list]:
    return [values[i:i + IN_CHUNK] for i in range(0, len(values), IN_CHUNK)]


# --- customers -----------------------------------------------------------------------------------

def _check_customers(reseller: Reseller, results: list[RowResult]) -> None:
    first_row: dict[str, int] = {}
    now = utcnow()
    for result in results:
        result.data = _customer_values(result, reseller, now)
        code = result.values.get("code", "")
        if code and code in first_row:
            result.refuse(_("The code %(code)s appears more than once in the file (first in row %(row)s).",
                            code=code, row=first_row[code]), "code")
        elif code:
            first_row[code] = result.number
    taken = existing_codes(reseller.id, list(first_row))
    for result in results:
        if result.values.get("code") in taken:
            result.refuse(_("You already have a customer with the code %(code)s.", code=result.values["code"]), "code")


def existing_codes(reseller_id: int, codes: list[str]) -> set[str]:
    """Which of these codes the reseller already uses: one query per few thousand codes."""
    taken: set[str] = set()
    for chunk in _chunks(codes):
        taken.update(db.session.scalars(sa.select(Customer.code).where(Customer.reseller_id == reseller_id,
                                                                       Customer.code.in_(chunk))))
    return taken


def _customer_values(result: RowResult, reseller: Reseller, now: datetime) -> dict[str, Any]:
    v, refuse = result.values, result.refuse
    if not v.get("code"):
        refuse(_("Enter the customer's code."), "code")
    if not v.get("name"):
        refuse(_("Enter the customer's legal name."), "name")
    for column, limit in LIMITS.items():
        if len(v.get(column, "")) > limit:
            refuse(_("%(column)s: use at most %(n)s characters.", column=column, n=limit), column)
    email = v.get("email", "")
    try:
        email = clean_address(email) if len(email) <= LIMITS["email"] else email
    except AddressError:
        refuse(_("Enter a valid e-mail address.") if email else _("Enter the customer's e-mail address."), "email")
    country, currency = v.get("country", "").upper(), v.get("currency", "").upper()
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        refuse(_("The country is a two-letter code (e.g. UY, AR, MX)."), "country")
    if currency and not re.fullmatch(r"[A-Z]{3}", currency):
        refuse(_("The currency is a three-letter code (e.g. USD)."), "currency")
    if v.get("language") and not re.fullmatch(r"[a-zA-Z]{2}([-_][a-zA-Z]{2})?", v["language"]):
        refuse(_("The language is a code such as es or en."), "language")
    if v.get("tenant_id") and not GUID.match(v["tenant_id"]):
        refuse(_("Enter the tenant id as a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."), "tenant_id")
    return {"reseller_id": reseller.id, "code": v.get("code", ""), "name": v.get("name", ""), "email": email,
            **{c: v.get(c, "") for c in ("domain", "tax_id", "city", "address", "zip_code", "contact_name",
                                         "phone", "tenant_id")},
            "country": country or reseller.country, "currency": currency or reseller.currency or "USD",
            "language": (v.get("language") or "es").lower(), "billing_start": None,
            "status": CustomerStatus.ACTIVE, "created_at": now}


# --- subscriptions -------------------------------------------------------------------------------

@dataclass
class _Context:
    customers: dict[str, Customer]
    products: dict[str, Product]
    facts: rules.Facts
    existing: set[tuple[int, int, str]]  # (customer, product, billing type) live or waiting to be provisioned


def _check_subscriptions(reseller: Reseller, results: list[RowResult], exclude_import_id: int | None) -> None:
    ctx = _subscription_context(reseller, results, exclude_import_id)
    connector = get_connector()
    first_row: dict[tuple, int] = {}
    for result in results:
        key = _subscription_row(reseller, result, ctx, connector)
        if key is None:
            continue
        if key in first_row:
            result.errors.append(_("The same subscription appears more than once in the file (first in row "
                                   "%(row)s).", row=first_row[key]))
        else:
            first_row[key] = result.number
        if key[:3] in ctx.existing:
            result.errors.append(_("%(code)s already has %(name)s (%(billing)s); this row looks like a duplicate.",
                                   code=result.values["customer_code"], name=ctx.products[result.values["sku"]].name,
                                   billing=key[2]))


def _subscription_context(reseller: Reseller, results: list[RowResult], exclude_import_id: int | None) -> _Context:
    codes = list({r.values.get("customer_code", "") for r in results} - {""})
    skus = list({r.values.get("sku", "") for r in results} - {""})
    customers: dict[str, Customer] = {}
    products: dict[str, Product] = {}
    for chunk in _chunks(codes):
        customers.update((c.code, c) for c in db.session.scalars(
            sa.select(Customer).where(Customer.reseller_id == reseller.id, Customer.code.in_(chunk))))
    for chunk in _chunks(skus):
        products.update((p.sku, p) for p in db.session.scalars(
            sa.select(Product).where(Product.sku.in_(chunk), Product.kind == ProductKind.SUBSCRIPTION)
            .options(joinedload(Product.vendor), joinedload(Product.category), joinedload(Product.prerequisite))))
    ids = [c.id for c in customers.values()]
    facts = rules.load_facts({(reseller.id, p.id) for p in products.values()}, set(ids))
    return _Context(customers, products, facts, _existing_subscriptions(ids, exclude_import_id))


def _existing_subscriptions(customer_ids: list[int], exclude_import_id: int | None) -> set[tuple[int, int, str]]:
    existing: set[tuple[int, int, str]] = set()
    for chunk in _chunks(customer_ids):
        existing.update(tuple(row) for row in db.session.execute(
            sa.select(Subscription.customer_id, Subscription.product_id, Subscription.billing_type)
            .where(Subscription.customer_id.in_(chunk), Subscription.status != SubscriptionStatus.CANCELLED)))
        existing.update(tuple(row) for row in db.session.execute(
            sa.select(ImportItem.customer_id, ImportItem.product_id, ImportItem.billing_type).join(Import)
            .where(ImportItem.customer_id.in_(chunk), Import.id != (exclude_import_id or 0),
                   Import.status.in_((ImportStatus.PENDING, ImportStatus.RUNNING)))))
    return existing


def _subscription_row(reseller: Reseller, result: RowResult, ctx: _Context, connector) -> tuple | None:
    """Check one row against the provisioning rules; returns its duplicate key when it names real things."""
    v, refuse = result.values, result.refuse
    for column, message in (("customer_code", _("Enter the customer code.")), ("sku", _("Enter the product SKU.")),
                            ("billing_type", _("Enter the billing type."))):
        if not v.get(column):
            refuse(message, column)
    customer, product = ctx.customers.get(v.get("customer_code", "")), ctx.products.get(v.get("sku", ""))
    if v.get("customer_code") and customer is None:
        refuse(_("No customer with the code %(code)s in your account.", code=v["customer_code"]), "customer_code")
    if v.get("sku") and product is None:
        refuse(_("Unknown service SKU %(sku)s.", sku=v["sku"]), "sku")
    run_at = _run_at(v.get("schedule_at", ""), result)
    if customer is None or product is None:
        return None
    quantity = v.get("quantity", "")  # as typed when it is no number ("²", "1.5"): the rules then refuse it
    config = {**new_service.default_config(product, customer), "billing_type": v.get("billing_type", ""),
              "quantity": quantity if parse_int(quantity) is None else parse_int(quantity),
              "tenant_id": v.get("tenant_id") or customer.tenant_id}
    for check in rules.check_rules(reseller, customer, product, config, ctx.facts, connector):
        if not check.ok:
            _refuse_check(result, check, product, config)
    result.data = {"customer_id": customer.id, "product_id": product.id, "config": config,
                   "run_at": run_at.isoformat() if run_at else None}
    return (customer.id, product.id, config["billing_type"], config["tenant_id"])


# Which column a failed provisioning rule is about (the "vendor" rule: each configuration value's own).
RULE_COLUMNS = {"parent": "customer_code", "service": "sku", "once": "sku", "prerequisite": "sku"}


def _refuse_check(result: RowResult, check: rules.Check, product: Product, config: dict[str, Any]) -> None:
    by_field = rules.config_errors(product, config) if check.key == "vendor" else {}
    if by_field and " ".join(by_field.values()) == check.reason:
        for column, message in by_field.items():
            result.refuse(message, column)
    else:
        result.refuse(check.reason, RULE_COLUMNS.get(check.key))


def _run_at(value: str, result: RowResult) -> datetime | None:
    """An optional schedule date-time in UTC, in the window the wizard allows."""
    if not value:
        return None
    text = value.strip().removesuffix("Z").removesuffix("UTC").removesuffix("+00:00").strip()
    for fmt in DATETIME_FORMATS:
        try:
            moment = datetime.strptime(text, fmt).replace(tzinfo=UTC)
            break
        except ValueError:
            continue
    else:
        result.refuse(_("Enter the schedule date-time in UTC as YYYY-MM-DD HH:MM."), "schedule_at")
        return None
    try:
        return provisioning.check_run_at(moment)
    except provisioning.ProvisioningError as exc:
        result.refuse(str(exc), "schedule_at")
        return None
