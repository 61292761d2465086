"""The catalog as staff manage it: brands, categories and products, with a dated price history.

Every change is audited. A change of price, MSRP or cost writes a ProductPrice row, so `price_on(product, day)`
answers what a subscription created that day was billed at (services.catalog.pricing adds the reseller's price
list to it). Changing the terms text bumps the
terms version, which makes every reseller accept again before its next provisioning.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager

from models import Category, PriceUnit, Product, ProductKind, ProductPrice, User, Vendor, db, utcnow
from services import DomainError, audit
from services.catalog import catalog, pricing
from services.paging import Page, Sort, page_of, sorted_by

PRODUCT_FIELDS = ("sku", "name", "description", "vendor_id", "category_id", "kind", "price", "msrp", "cost", "unit",
                  "currency",
                  "billing_types", "terms_text", "once_per_account", "prerequisite_id", "tags", "max_quantity",
                  "active")
PRICED = {"price", "msrp", "cost"}  # the amounts the price history keeps
CENT = Decimal("0.01")


class CatalogError(DomainError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field  # the form field the message belongs next to, if any


# --- vendors and categories ----------------------------------------------------------------------

def create_group(model: type[Vendor] | type[Category], *, by: User, name: str, slug: str = "") -> Vendor | Category:
    """Create an active vendor or category; name and slug are unique."""
    name, slug = _name_and_slug(model, name, slug)
    group = model(name=name, slug=slug, active=True)
    db.session.add(group)
    db.session.flush()
    audit.record(by, f"{_kind(model)}.create", group, name=name, slug=slug)
    return group


def update_group(group: Vendor | Category, *, by: User, name: str, slug: str = "") -> dict[str, list]:
    """Rename a vendor or category (and its slug); returns and audits what changed."""
    name, slug = _name_and_slug(type(group), name, slug or group.slug, exclude=group)
    changes = {key: [getattr(group, key), value] for key, value in (("name", name), ("slug", slug))
               if getattr(group, key) != value}
    for key, (_old, new) in changes.items():
        setattr(group, key, new)
    if changes:
        db.session.flush()
        audit.record(by, f"{_kind(type(group))}.update", group, changes=changes)
    return changes


def set_active(obj: Vendor | Category | Product, active: bool, *, by: User) -> None:
    """Deactivate (hidden from resellers, kept for history) or reactivate a vendor, category or product."""
    if obj.active == active:
        raise CatalogError(_("%(name)s is already active.", name=obj.name) if active
                           else _("%(name)s is already inactive.", name=obj.name))
    obj.active = active
    db.session.flush()
    audit.record(by, f"{_kind(type(obj))}.{'reactivate' if active else 'deactivate'}", obj)


def _kind(model: type) -> str:
    return model.__name__.lower()


def _name_and_slug(model: type[Vendor] | type[Category], name: str, slug: str,
                   exclude: Vendor | Category | None = None) -> tuple[str, str]:
    name = " ".join((name or "").split())
    if not name:
        raise CatalogError(_("This field is required."), field="name")
    slug = slugify(slug or name)
    if not slug:
        raise CatalogError(_("Use letters, digits and dashes."), field="slug")
    for column, value in ((model.name, name), (model.slug, slug)):
        # The exact value too: SQLite's lower() folds only ASCII, so "É" would slip past to the unique index.
        stmt = sa.select(model.id).where(sa.or_(column == value, sa.func.lower(column) == value.lower()))
        if exclude is not None:
            stmt = stmt.where(model.id != exclude.id)
        if db.session.scalar(stmt.limit(1)) is not None:
            raise CatalogError(_("“%(value)s” is already taken.", value=value), field=column.key)
    return name, slug


def _same_text(column, value: str) -> sa.ColumnElement[bool]:
    """Equal, or equal ignoring case (SQLite's lower() is ASCII-only: the exact match backs the unique index)."""
    return sa.or_(column == value, sa.func.lower(column) == value.lower())


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:120]


# --- products ------------------------------------------------------------------------------------

def search_products(query: str = "") -> sa.Select:
    """Every product (active or not) whose SKU, name, vendor or tags contain each word of `query`, with its vendor and
    category joined (their names sort the list). Unordered."""
    stmt = (sa.select(Product).join(Product.vendor).join(Product.category)
            .options(contains_eager(Product.vendor), contains_eager(Product.category)))
    for term in query.split()[:8]:
        stmt = stmt.where(catalog.product_matches(term[:100]))
    return stmt


# The columns the admin product list sorts by (?sort=price, ?sort=-price); by vendor (then name) unless asked.
PRODUCT_SORTS = {"sku": Product.sku, "name": sa.func.lower(Product.name), "vendor": sa.func.lower(Vendor.name),
                 "category": sa.func.lower(Category.name), "kind": Product.kind, "price": Product.price,
                 "msrp": Product.msrp, "cost": Product.cost, "status": Product.active}
BY_VENDOR = Sort("vendor")
BY_NAME = Sort("name")


def products_page(query: str = "", page: int = 1, per_page: int = 25, sort: Sort = BY_VENDOR) -> Page:
    """A page of search_products(query) for the admin list in `sort` order (then by name), as Product objects with
    their vendor and category."""
    matching = search_products(query)
    count = sa.select(sa.func.count()).select_from(matching.subquery())
    return page_of(sorted_by(matching, sort, PRODUCT_SORTS, sa.func.lower(Product.name), Product.id), page, per_page,
                   count=count)


def group_sorts(model: type[Vendor] | type[Category]) -> dict[str, Any]:
    """The columns the vendors' or the categories' list sorts by (?sort=); "products": how many products use it."""
    uses = Product.vendor_id if model is Vendor else Product.category_id
    products = sa.select(sa.func.count()).where(uses == model.id).scalar_subquery()
    return {"name": sa.func.lower(model.name), "slug": model.slug, "products": products, "status": model.active}


def groups_page(model: type[Vendor] | type[Category], page: int = 1, per_page: int = 25,
                sort: Sort = BY_NAME) -> Page:
    """A page of the vendors or the categories in `sort` order (then by name), as rows (group, products)."""
    sorts = group_sorts(model)
    groups = sa.select(model, sorts["products"].label("products"))
    count = sa.select(sa.func.count()).select_from(model)
    return page_of(sorted_by(groups, sort, sorts, sa.func.lower(model.name), model.id), page, per_page, count=count)


def create_product(*, by: User, **values: Any) -> Product:
    """Create a product and the first entry of its price history."""
    fields = _clean_product(values)
    product = Product(**fields, terms_version=1)
    db.session.add(product)
    db.session.flush()
    _record_price(product, by, product.created_at)
    audit.record(by, "product.create", product, **_jsonable(fields))
    return product


def update_product(product: Product, *, by: User, **values: Any) -> dict[str, list]:
    """Apply the form's values; a new price or cost is dated, new terms text gets a new version."""
    fields = _clean_product(values, product)
    changes = {key: [getattr(product, key), value] for key, value in fields.items() if getattr(product, key) != value}
    if not changes:
        return {}
    if PRICED.intersection(changes) and not _has_history(product):
        _record_price(product, None, product.created_at)  # the price it had until now, as a baseline
    for key, (_old, new) in changes.items():
        setattr(product, key, new)
    if "terms_text" in changes:
        changes["terms_version"] = [product.terms_version, product.terms_version + 1]
        product.terms_version += 1
    db.session.flush()
    if PRICED.intersection(changes):
        _record_price(product, by, utcnow())
    audit.record(by, "product.update", product, changes=_jsonable(changes))
    return changes


def price_history(product: Product) -> list[ProductPrice]:
    """Newest first."""
    return list(db.session.scalars(sa.select(ProductPrice).where(ProductPrice.product_id == product.id)
                                   .order_by(ProductPrice.effective_at.desc(), ProductPrice.id.desc())))


def price_on(product: Product, when: datetime) -> Decimal:
    """The product's reseller price (before any price list) in effect at `when` (its price if it never changed)."""
    return pricing.list_prices([product], when)[product.id][0]


def prerequisite_choices(product: Product | None = None) -> list[Product]:
    """Subscription products another one can require (not itself)."""
    stmt = sa.select(Product).where(Product.kind == ProductKind.SUBSCRIPTION).order_by(Product.name)
    if product is not None and product.id is not None:
        stmt = stmt.where(Product.id != product.id)
    return list(db.session.scalars(stmt))


def _record_price(product: Product, by: User | None, when: datetime) -> None:
    db.session.add(ProductPrice(product_id=product.id, price=product.price, msrp=product.msrp, cost=product.cost,
                                effective_at=when, changed_by_id=by.id if by is not None else None))
    db.session.flush()


def _has_history(product: Product) -> bool:
    return db.session.scalar(sa.select(ProductPrice.id).where(ProductPrice.product_id == product.id).limit(1)) \
        is not None


def _clean_product(values: dict[str, Any], product: Product | None = None) -> dict[str, Any]:
    fields = {key: values[key] for key in PRODUCT_FIELDS}
    for key in ("sku", "name", "tags", "currency"):
        fields[key] = " ".join((fields[key] or "").split())
    fields["currency"] = fields["currency"].upper()
    fields["tags"] = ", ".join(t.strip() for t in fields["tags"].split(",") if t.strip())
    fields["terms_text"] = (fields["terms_text"] or "").replace("\r\n", "\n").strip()
    fields["description"] = (fields["description"] or "").replace("\r\n", "\n").strip()
    fields["kind"] = ProductKind(fields["kind"])
    fields["unit"] = PriceUnit(fields["unit"] or PriceUnit.UNIT)
    for key in ("price", "msrp", "cost"):
        fields[key] = _money(fields[key], key)
    if not fields["billing_types"]:
        raise CatalogError(_("Choose at least one billing type."), field="billing_types")
    _check_sku_free(fields["sku"], product)
    _check_prerequisite(fields["prerequisite_id"], product)
    return fields


def _money(value: Decimal | None, field: str) -> Decimal:
    if value is None or not value.is_finite() or value < 0:
        raise CatalogError(_("Enter an amount of zero or more."), field=field)
    if value != value.quantize(CENT):
        raise CatalogError(_("Use at most two decimals."), field=field)
    return value.quantize(CENT)


def _check_sku_free(sku: str, product: Product | None) -> None:
    if not sku:
        raise CatalogError(_("This field is required."), field="sku")
    stmt = sa.select(Product.name).where(_same_text(Product.sku, sku))
    if product is not None:
        stmt = stmt.where(Product.id != product.id)
    other = db.session.scalar(stmt.limit(1))
    if other is not None:
        raise CatalogError(_("%(other)s already has the SKU %(sku)s.", other=other, sku=sku), field="sku")


def _check_prerequisite(prerequisite_id: int | None, product: Product | None) -> None:
    """Another subscription product, and no loop (A needs B needs A could never be provisioned)."""
    seen = {product.id} if product is not None else set()
    current = db.session.get(Product, prerequisite_id) if prerequisite_id is not None else None
    if current is not None and current.kind is not ProductKind.SUBSCRIPTION:
        raise CatalogError(_("The prerequisite must be a cloud subscription."), field="prerequisite_id")
    while current is not None:
        if current.id in seen:
            raise CatalogError(_("This prerequisite would make a loop."), field="prerequisite_id")
        seen.add(current.id)
        current = current.prerequisite


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value) if isinstance(value, Decimal | datetime) else value
