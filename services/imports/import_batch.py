"""The one in-memory shape of running work: claimed imports and their items, read in two queries without an ORM
object per row. Both sources produce it: a batch of due scheduled imports, and a chunk of a CSV file's rows
(their items are inserted first, then read back here); services.imports.runner runs it, whatever each item's kind.

Loading a batch of imports as Import, ImportItem, Customer, Reseller and User objects cost a third of
running it (issue 9: 10,000 imports due in the same second). The rows come as plain objects instead, with
the attributes the rules (services.provisioning.provisioning_rules), the subscription and the completion e-mail read;
the batch's few products stay ORM objects (the rules follow their vendor and prerequisite). Nothing here is
written back: the batch's writes are statements of their own.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from models import (
    Customer,
    CustomerStatus,
    Import,
    ImportItem,
    ImportSource,
    ItemStatus,
    Product,
    Reseller,
    ResellerStatus,
    User,
    db,
)


@dataclass(slots=True)
class BatchReseller:
    id: int
    status: ResellerStatus

    @property
    def is_active(self) -> bool:
        return self.status is ResellerStatus.ACTIVE


@dataclass(slots=True)
class BatchCustomer:
    id: int
    code: str
    name: str
    domain: str
    status: CustomerStatus

    @property
    def is_active(self) -> bool:
        return self.status is CustomerStatus.ACTIVE


@dataclass(slots=True)
class BatchItem:
    id: int
    import_id: int
    kind: str  # a name in services.imports.kinds
    row_number: int | None  # a CSV row's number (its idempotency key), else None
    customer_id: int | None
    product_id: int | None
    status: ItemStatus
    quantity: int
    billing_type: str
    config: dict[str, Any]
    customer: BatchCustomer | None
    product: Product | None
    imp: BatchImport | None = None  # the import it belongs to (its reseller, creator)


@dataclass(slots=True)
class BatchImport:
    id: int
    reseller_id: int
    attempts: int
    name: str
    import_type: str
    created_at: datetime
    reseller: BatchReseller
    creator_email: str
    creator_name: str
    creator_locale: str | None
    source: ImportSource
    items: list[BatchItem] = field(default_factory=list)
    creator_id: int | None = None  # who the subscriptions' "provisioned" events name


@dataclass(slots=True)
class Outcome:
    """An item run now: why it failed (stored English reasons), or the vendor's id for what was done."""

    item: BatchItem
    reasons: list[str]
    external_id: str = ""


def load_batch(ids: Sequence[int], item_ids: Sequence[int] | None = None) -> list[BatchImport]:
    """The imports `ids` with their items (only `item_ids` when given), customers and products, by run_at then id."""
    stmt = _batch_statement(ids)
    if item_ids is not None:
        stmt = stmt.where(ImportItem.id.in_(list(item_ids)))
    rows = db.session.execute(stmt).all()
    products = _products({row.product_id for row in rows if row.product_id is not None})
    imports: dict[int, BatchImport] = {}
    for row in rows:
        imp = imports.get(row.id)
        if imp is None:
            imp = imports[row.id] = BatchImport(
                row.id, row.reseller_id, row.attempts, row.name, row.import_type, row.created_at,
                BatchReseller(row.reseller_id, row.reseller_status), row.creator_email, row.creator_name,
                row.creator_locale, row.source, creator_id=row.created_by_id)
        if row.item_id is not None:
            item = _item(row, products)
            item.imp = imp
            imp.items.append(item)
    return list(imports.values())


def _item(row: sa.Row, products: dict[int, Product]) -> BatchItem:
    customer = (BatchCustomer(row.customer_id, row.customer_code, row.customer_name, row.customer_domain,
                              row.customer_status) if row.customer_code is not None else None)
    return BatchItem(row.item_id, row.id, row.kind, row.row_number, row.customer_id, row.product_id, row.item_status,
                     row.quantity, row.billing_type, row.config, customer, products.get(row.product_id))


def _products(ids: set[int]) -> dict[int, Product]:
    if not ids:
        return {}
    return {product.id: product for product in db.session.scalars(
        sa.select(Product).where(Product.id.in_(ids))
        .options(joinedload(Product.vendor), joinedload(Product.category), joinedload(Product.prerequisite)))}


def _batch_statement(ids: Sequence[int]) -> sa.Select:
    return (sa.select(Import.id, Import.reseller_id, Import.attempts, Import.name, Import.import_type, Import.source,
                      Import.created_at, Import.created_by_id, Reseller.status.label("reseller_status"),
                      User.email.label("creator_email"), User.name.label("creator_name"),
                      User.locale.label("creator_locale"),
                      ImportItem.id.label("item_id"), ImportItem.kind, ImportItem.row_number, ImportItem.customer_id,
                      ImportItem.product_id,
                      ImportItem.status.label("item_status"), ImportItem.quantity, ImportItem.billing_type,
                      ImportItem.config, Customer.code.label("customer_code"), Customer.name.label("customer_name"),
                      Customer.domain.label("customer_domain"), Customer.status.label("customer_status"))
            .join(Reseller, Reseller.id == Import.reseller_id).join(User, User.id == Import.created_by_id)
            .outerjoin(ImportItem, ImportItem.import_id == Import.id)
            .outerjoin(Customer, Customer.id == ImportItem.customer_id)
            .where(Import.id.in_(list(ids)))
            .order_by(Import.run_at, Import.id, ImportItem.id))
