"""The kinds of import item: what running one item does, as three steps registered here, once.

Every ImportItem has a `kind` (a column; "provision", a new subscription, is today's). The engine around the
kinds (services.imports: claims, leases and attempts, the runner, the writer, the completion e-mail, the sweep)
knows none of them: it loads a batch of items, asks each item's Kind to validate and perform it, and writes
the results. A kind is:

- `load(items) -> context`: what its steps read from the database, for a whole batch of items of this kind
  in a few queries (never one per item). The steps may change the context as they go (a subscription
  provisioned by one item is seen by the next: once per account, prerequisites).
- `validate(context, item, at_run) -> list[str]`: why the item cannot run (stored English reasons, their
  values filled in), [] when it can. The same function is the pre-flight shown before the user confirms
  (`at_run=False`) and the check when it runs (`at_run=True`): the database may have changed in between.
- `perform(context, item, key) -> str`: do it through the connector, under the idempotency key `key` (the same
  for every attempt of the item: a retried or resumed item is never done twice by the vendor); returns the
  vendor's id for it. Refused: raise ConnectorError (or a DomainError) whose message is the reason. No writes.
- `record(done, now) -> write`: the kind's own rows for the items performed (`done`: (item, vendor id)
  pairs), e.g. the subscriptions. It returns a function that writes them (a few statements for the whole
  batch, flush only), prepared before the batch's first write, so SQLite's write lock is held only while
  writing. The writer calls it after the items' results, only for imports whose claim still held.

A customer CSV row's item (bulk_import.CUSTOMER_ROW) is the one exception: its customer is created set-based with
the item (no vendor, nothing to perform), so it is never PENDING and never run by a kind.

The items (services.imports.import_batch.BatchItem: id, kind, customer, product, quantity, billing_type, config and
its import) are the one shape both sources produce: scheduled imports and CSV rows alike.

Adding a kind (e.g. "change_quantity"):
1. a module with its steps that ends with `kinds.register(Kind("change_quantity", load, validate, perform,
   record))`; its data goes in the item's columns and `config` (e.g. config["subscription_id"]);
2. its module name in KIND_MODULES below;
3. create Import + ImportItem(kind="change_quantity", ...) rows and enqueue as services.provisioning does
   (run now: RUN_ONE_JOB; at a time: provisioning.enqueue_due_run(run_at), one job for that second).
Nothing else: the claim, lease renewal, attempt limit (FAILED with the reason), cancel, retry, the
completion e-mail and the sweep work for every kind. Pre-flight: `preflight(kind, items)`.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from services.imports.import_batch import BatchItem

PROVISION = "provision"
KIND_MODULES = ("services.imports.provision", "services.subscriptions.kinds_change",
                "services.subscriptions.kinds_renewal")  # each registers its kind when imported

Done = tuple["BatchItem", str]  # an item performed, and the vendor's id for it


@dataclass(frozen=True)
class Kind:
    name: str
    load: Callable[[Sequence[BatchItem]], Any]
    validate: Callable[[Any, BatchItem, bool], list[str]]
    perform: Callable[[Any, BatchItem, str], str]
    record: Callable[[Sequence[Done], datetime], Callable[[], None]] | None = None


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if len(kind.name) > 30:
        raise ValueError(f"kind name {kind.name!r} is longer than ImportItem.kind")
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> Kind:
    if name not in _KINDS:  # not "if not _KINDS": one kind module imported elsewhere first must not hide the others
        for module in KIND_MODULES:
            importlib.import_module(module)
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"no import item kind {name!r}: register it in services.imports.kinds") from None


def preflight(name: str, items: Sequence[BatchItem]) -> dict[int, list[str]]:
    """Why each item could not run now (at the pre-flight: not at run time), by position in `items`."""
    kind = get(name)
    context = kind.load(items)
    return {n: kind.validate(context, item, False) for n, item in enumerate(items)}


def idempotency_key(item: BatchItem) -> str:
    """The same for every attempt: a CSV row's item is written anew when a killed run's chunk runs again."""
    if item.row_number is not None:
        return f"import-{item.import_id}-row-{item.row_number}"
    return f"import-{item.import_id}-item-{item.id}"
