"""The "provision" kind (services.imports.kinds): a new subscription for a customer, from the New service wizard
or a row of a CSV file. The rules are services.provisioning.provisioning_rules, the wizard's pre-flight."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.catalog import pricing
from services.connectors import Connector, get_connector
from services.imports import kinds
from services.imports.import_batch import BatchItem
from services.provisioning import provisioning
from services.provisioning import provisioning_rules as rules
from services.subscriptions import timeline


@dataclass
class Context:
    facts: rules.Facts
    connector: Connector


def load(items: Sequence[BatchItem]) -> Context:
    pairs = {(item.imp.reseller_id, item.product_id) for item in items if item.product_id is not None}
    customers = {item.customer_id for item in items if item.customer_id is not None}
    # What the rules read of a customer's subscriptions: the product itself (once per account), its prerequisite.
    asked = {(item.customer_id, product_id) for item in items if item.customer_id is not None
             and item.product is not None for product_id in (item.product.id, item.product.prerequisite_id)
             if product_id is not None}
    return Context(rules.load_facts(pairs, customers, asked), get_connector())


def validate(context: Context, item: BatchItem, at_run: bool) -> list[str]:
    checks = rules.check_rules(item.imp.reseller, item.customer, item.product, item.config, context.facts,
                               context.connector, at_run=at_run)
    return [check.reason for check in checks if not check.ok]


def perform(context: Context, item: BatchItem, key: str) -> str:
    request = rules.provision_request(key, item.customer, item.product, item.config)
    external_id = context.connector.provision(request).external_id
    # The next item of the batch sees it (once per account, prerequisites).
    context.facts.owned.setdefault(item.customer_id, set()).add(item.product_id)
    return external_id


def record(done: Sequence[kinds.Done], now: datetime) -> Callable[[], None]:
    """The subscriptions, at the reseller's price of `now` (the run, not the scheduling day), in one statement, and
    their "provisioned" events, encoded now (nothing is read back while the batch holds SQLite's write lock)."""
    prices = pricing.prices_of_pairs({(item.imp.reseller_id, item.product) for item, _external_id in done}, now)
    values = [provisioning.subscription_values(item.imp, item, external_id, now,
                                               prices[(item.imp.reseller_id, item.product_id)])
              for item, external_id in done]
    rows = provisioning.encode_subscriptions(values)
    events = timeline.encode_provisioned([(v, item.imp.creator_id)
                                          for v, (item, _id) in zip(values, done, strict=True)])
    return lambda: provisioning.insert_subscriptions(rows, events)


kinds.register(kinds.Kind(kinds.PROVISION, load, validate, perform, record))
