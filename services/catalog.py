"""The catalog as resellers browse it: active brands, their categories, products and search."""
from __future__ import annotations

from functools import cache

import sqlalchemy as sa

from models import Category, Product, Vendor, db
from services import search
from services.paging import Page, offset_window, page_of

PER_PAGE = 20
MAX_TERMS = 8
COUNT_CAP = 200  # "200+ products": counting further scans most of a large catalog on each keystroke
LISTED = (Product.id, Product.name, Product.sku, Product.tags, Product.price, Product.kind, Product.max_quantity,
          Vendor.name.label("vendor_name"), Category.name.label("category_name"))


def _active_products() -> sa.Select:
    return (sa.select(Product).join(Product.vendor).join(Product.category)
            .where(Product.active, Vendor.active, Category.active))


def active_vendors() -> list[tuple[Vendor, int]]:
    """Brands that have something to sell, with their number of active products."""
    stmt = (sa.select(Vendor, sa.func.count(Product.id)).join(Product, Product.vendor_id == Vendor.id)
            .join(Category, Product.category_id == Category.id)
            .where(Product.active, Vendor.active, Category.active)
            .group_by(Vendor.id).order_by(Vendor.name))
    return [(vendor, count) for vendor, count in db.session.execute(stmt)]


def vendor_by_slug(slug: str) -> Vendor | None:
    return db.session.scalar(sa.select(Vendor).where(Vendor.slug == slug, Vendor.active))


def category_by_slug(slug: str) -> Category | None:
    return db.session.scalar(sa.select(Category).where(Category.slug == slug, Category.active))


def vendor_categories(vendor: Vendor) -> list[tuple[Category, int]]:
    """A brand's categories (e.g. ESD, Cloud) with their number of active products."""
    stmt = (sa.select(Category, sa.func.count(Product.id)).join(Product, Product.category_id == Category.id)
            .where(Product.vendor_id == vendor.id, Product.active, Category.active)
            .group_by(Category.id).order_by(Category.name))
    return [(category, count) for category, count in db.session.execute(stmt)]


def search_products(q: str = "", *, vendor: Vendor | None = None, category: Category | None = None,
                    page: int = 1, per_page: int = PER_PAGE) -> Page:
    """Active products matching every word of `q` in name, SKU, brand or tags, a page at a time, as rows of
    what the list shows (LISTED).

    The total is counted only up to COUNT_CAP (or just past this page): a broad term matches most of a large
    catalog, and counting every match on each keystroke scans it all. `capped` says the total is "at least".
    """
    page = max(page, 1)
    terms = [search.like_pattern(term[:100]) for term in q.split()[:MAX_TERMS]]
    items, count = _search(db.engine.dialect.name, len(terms), vendor is not None, category is not None)
    params = {f"term_{i}": term for i, term in enumerate(terms)}
    params.update(vendor_id=vendor.id if vendor else None, category_id=category.id if category else None)
    limit = max(COUNT_CAP, page * per_page + per_page)
    total = db.session.scalar(count, {**params, "cap": limit + 1})
    products = page_of(items, params, page, per_page, total=min(total, limit))
    products.capped = total > limit
    return products


@cache
def _search(dialect: str, terms: int, by_vendor: bool, by_category: bool) -> tuple[sa.Select, sa.Select]:
    """A search's page and (capped) count statements, built once for each shape (docs/CONVENTIONS.md)."""
    stmt = _active_products()
    if by_vendor:
        stmt = stmt.where(Product.vendor_id == sa.bindparam("vendor_id"))
    if by_category:
        stmt = stmt.where(Product.category_id == sa.bindparam("category_id"))
    for i in range(terms):
        stmt = stmt.where(search.contains(sa.bindparam(f"term_{i}", type_=sa.String()),
                                          Product.name, Product.sku, Vendor.name, Product.tags))
    # The count stays a query of its own: as a subquery of the page's, SQLite builds a temporary index on
    # product for it on every search (10 ms).
    matches = stmt.with_only_columns(Product.id).limit(sa.bindparam("cap")).subquery()
    items = offset_window(stmt.with_only_columns(*LISTED).order_by(Vendor.name, Product.name, Product.id))
    return items, sa.select(sa.func.count()).select_from(matches)


def active_product(product_id: int) -> Product | None:
    """The product if resellers may see it (it, its brand and its category are active)."""
    return db.session.scalar(_active_products().where(Product.id == product_id))

