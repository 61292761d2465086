"""The catalog as resellers browse it: active brands, their categories, products and search."""
from __future__ import annotations

from functools import cache

import sqlalchemy as sa

from models import Category, Product, Vendor, db
from services import search
from services.numbers import MAX_PAGE
from services.paging import Page, page_of

PER_PAGE = 20
MAX_TERMS = 8
COUNT_CAP = 200  # "200+ products": counting further scans most of a large catalog on each keystroke
# The search reads the tables' columns, not the entities': its rows need no ORM step (as services.imports.listing).
_PRODUCT, _VENDOR, _CATEGORY = Product.__table__, Vendor.__table__, Category.__table__
LISTED = (*(_PRODUCT.c[name] for name in ("id", "name", "sku", "tags", "price", "msrp", "unit", "billing_types", "kind",
                                          "max_quantity")),
          _VENDOR.c.name.label("vendor_name"), _CATEGORY.c.name.label("category_name"))


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
    The count also picks how to find the page: the matches of a narrow search are few, so they are read from
    one pass over the catalog and sorted; a broad one is walked in the list's order until the page is full.
    """
    page = min(max(page, 1), MAX_PAGE)
    terms = [search.like_pattern(term[:100].lower()) for term in q.split()[:MAX_TERMS]]
    count, narrow, broad = _search_selects(db.engine.dialect.name, len(terms), vendor is not None,
                                           category is not None)
    limit = max(COUNT_CAP, page * per_page + per_page)
    params = {f"term_{i}": term for i, term in enumerate(terms)}
    params.update(vendor_id=vendor.id if vendor else None, category_id=category.id if category else None,
                  cap=limit + 1)
    total = db.session.scalar(count, params)
    products = page_of((narrow if total <= limit else broad).params(params), page, per_page, total=min(total, limit))
    products.capped = total > limit
    return products


@cache
def _search_selects(dialect: str, terms: int, by_vendor: bool, by_category: bool) -> tuple[sa.Select, ...]:
    """A search's capped count, and its page when narrow and when broad, built once per shape (number of words,
    brand or not, category or not) with bind parameters: search as you type runs them on every keystroke, and
    building them each time cost half as much again (callgrind: 6.3 against 4.2 M instructions a search)."""
    product, vendor, category = _PRODUCT.c, _VENDOR.c, _CATEGORY.c
    filters = [product.active]
    if by_vendor:
        filters.append(product.vendor_id == sa.bindparam("vendor_id"))
    if by_category:
        filters.append(product.category_id == sa.bindparam("category_id"))
    filters += [product_matches(sa.bindparam(f"term_{i}", type_=sa.String())) for i in range(terms)]
    # Matches without joins: the active brands and categories are lists made once per query, and the product
    # table is read in its own order (through a brand's index, SQLite read it five times slower).
    active_brands = sa.select(vendor.id).where(vendor.active).correlate(None)
    active_categories = sa.select(category.id).where(category.active).correlate(None)
    matches = (sa.select(product.id).where(*filters, product.vendor_id.in_(active_brands),
                                           product.category_id.in_(active_categories))
               .limit(sa.bindparam("cap")).correlate(None))
    listed = (sa.select(*LISTED)
              .select_from(_PRODUCT.join(_VENDOR, vendor.id == product.vendor_id)
                           .join(_CATEGORY, category.id == product.category_id))
              .where(vendor.active, category.active).order_by(vendor.name, product.name, product.id))
    return (sa.select(sa.func.count()).select_from(matches.subquery()), listed.where(product.id.in_(matches)),
            listed.where(*filters))


def product_matches(term: str | sa.BindParameter) -> sa.ColumnElement[bool]:
    """The product's name, SKU or tags (its lowercased search_text), or its brand's name, contain `term`, in
    any case (a bind parameter: its value is search.like_pattern of the lowercased term). The brands are few:
    their match is a subquery run once, not a test on every product."""
    pattern = sa.literal(search.like_pattern(term.lower()), sa.String()) if isinstance(term, str) else term
    brands = sa.select(_VENDOR.c.id).where(search.contains(pattern, _VENDOR.c.name)).correlate(None)
    return sa.or_(_PRODUCT.c.search_text.like(pattern, escape="\\"), _PRODUCT.c.vendor_id.in_(brands))


def active_product(product_id: int) -> Product | None:
    """The product if resellers may see it (it, its brand and its category are active)."""
    return db.session.scalar(_active_products().where(Product.id == product_id))

