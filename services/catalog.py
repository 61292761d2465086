"""The catalog as resellers browse it: active brands, their categories, products and search."""
from __future__ import annotations

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import contains_eager

from models import Category, Product, Vendor, db
from services import search

PER_PAGE = 20
MAX_TERMS = 8
COUNT_CAP = 200  # "200+ products": counting further scans most of a large catalog on each keystroke


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
                    page: int = 1, per_page: int = PER_PAGE) -> Pagination:
    """Active products matching every word of `q` in name, SKU, brand or tags, a page at a time.

    The total is counted only up to COUNT_CAP (or just past this page): a broad term matches most of a large
    catalog, and counting every match on each keystroke scans it all. `capped` says the total is "at least".
    """
    page = max(page, 1)
    stmt = _active_products().where(*_search_filters(q, vendor, category))
    products = db.paginate(stmt.options(contains_eager(Product.vendor), contains_eager(Product.category))
                           .order_by(Vendor.name, Product.name, Product.id),
                           page=page, per_page=per_page, error_out=False, count=False)
    limit = max(COUNT_CAP, page * per_page + per_page)
    matches = stmt.with_only_columns(Product.id).limit(limit + 1).subquery()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(matches))
    products.total, products.capped = min(total, limit), total > limit
    return products


def _search_filters(q: str, vendor: Vendor | None, category: Category | None) -> list:
    filters = []
    if vendor is not None:
        filters.append(Product.vendor_id == vendor.id)
    if category is not None:
        filters.append(Product.category_id == category.id)
    for term in q.split()[:MAX_TERMS]:
        filters.append(search.contains(term[:100], Product.name, Product.sku, Vendor.name, Product.tags))
    return filters


def active_product(product_id: int) -> Product | None:
    """The product if resellers may see it (it, its brand and its category are active)."""
    return db.session.scalar(_active_products().where(Product.id == product_id))

