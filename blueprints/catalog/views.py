from flask import abort, render_template, request, url_for
from flask_login import current_user

from blueprints import render
from blueprints.catalog import bp
from blueprints.catalog.forms import AddToCartForm
from models import Product, utcnow
from services.catalog import catalog, pricing, spelling
from services.numbers import page_number


def search_args() -> tuple[str, int]:
    return request.args.get("q", "").strip()[:200], request.args.get("page", 1, type=page_number)


@bp.get("/")
def index():
    q, page = search_args()
    products, corrected = search_or_closest(q, page) if q else (None, None)
    vendors = None if q else catalog.active_vendors()
    return render("catalog/index.html", block="results", q=q, products=products, vendors=vendors,
                  corrected=corrected, prices=prices_of(products.items if products else []),
                  search_url=url_for("catalog.index"))


def search_or_closest(q: str, page: int, **where):
    """The products matching `q`; if none, those matching its closest spelling in the catalog ("Ofice")."""
    products = catalog.search_products(q, page=page, **where)
    if products.total or not q:
        return products, None
    corrected = spelling.corrected(q)
    return (catalog.search_products(corrected, page=page, **where), corrected) if corrected else (products, None)


@bp.get("/brands/<slug>/")
def brand(slug: str):
    vendor = catalog.vendor_by_slug(slug) or abort(404)
    return render("catalog/brand.html", vendor=vendor, categories=catalog.vendor_categories(vendor))


@bp.get("/brands/<slug>/<category_slug>/")
def category(slug: str, category_slug: str):
    vendor = catalog.vendor_by_slug(slug) or abort(404)
    category = catalog.category_by_slug(category_slug) or abort(404)
    q, page = search_args()
    products, corrected = search_or_closest(q, page, vendor=vendor, category=category)
    return render("catalog/index.html", block="results", q=q, products=products, vendor=vendor,
                  category=category, corrected=corrected, prices=prices_of(products.items),
                  search_url=url_for("catalog.category", slug=slug, category_slug=category_slug))


@bp.get("/products/<int:product_id>")
def product(product_id: int):
    product = catalog.active_product(product_id) or abort(404)
    return render("catalog/product.html", product=product, form=new_buy_form(product),
                  prices=prices_of([product])[product.id])


def prices_of(products) -> dict[int, pricing.ResellerPrice]:
    """Today's prices of these products for the viewer's reseller (staff: without a price list)."""
    return pricing.reseller_prices(current_user.reseller_id, products, utcnow())


def new_buy_form(product: Product) -> AddToCartForm:
    return AddToCartForm(formdata=None, product_id=product.id)


def buy_box(product: Product, form, *, added: int = 0, in_cart: int = 0) -> str:
    """The product's "Add to cart" form, alone (it answers the form's own htmx request)."""
    return render_template("catalog/_buy_box.html", product=product, form=form, added=added, in_cart=in_cart)
