"""Catalog pages: brands -> categories -> products, active search with the URL following it."""
from decimal import Decimal

import pytest

from models import ProductKind, Role, db
from tests.factories import make_category, make_product, make_reseller, make_user, make_vendor
from tests.support import HX, HX_BOOSTED


@pytest.fixture
def catalog_rows():
    microsoft, esd, cloud = make_vendor("Microsoft"), make_category("ESD"), make_category("Cloud")
    windows = make_product(name="Windows 11 Pro", sku="KW9-00632", vendor=microsoft, category=esd,
                           price=Decimal("199.00"), tags="windows,os", description="One device per key.")
    make_product(name="Microsoft 365 Business Basic", vendor=microsoft, category=cloud,
                 kind=ProductKind.SUBSCRIPTION, price=Decimal("7.20"))
    db.session.commit()
    return windows


@pytest.fixture
def buyer(login):
    return login(make_user(Role.RESELLER))


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_catalog_needs_a_login(client):
    assert client.get("/catalog/").status_code == 302
    assert client.get("/catalog/", headers=HX).status_code == 401


def test_index_lists_brands_and_has_an_active_search_box(client, buyer, catalog_rows):
    html = text(client.get("/catalog/"))
    assert "<html" in html and "Microsoft" in html and 'href="/catalog/brands/microsoft/"' in html
    assert 'hx-trigger="input changed delay:300ms, search"' in html and 'hx-push-url="true"' in html
    assert 'hx-target="#results"' in html and ">Cart <span" in html


def test_search_full_page_fragment_and_boosted(client, buyer, catalog_rows):
    full = text(client.get("/catalog/?q=windows"))
    assert "<html" in full and 'value="windows"' in full and "Windows 11 Pro" in full and "$199.00" in full
    fragment = text(client.get("/catalog/?q=windows", headers=HX))
    assert "<html" not in fragment and "Windows 11 Pro" in fragment and "Business Basic" not in fragment
    assert "<html" in text(client.get("/catalog/?q=windows", headers=HX_BOOSTED))


def test_search_has_an_empty_state(client, buyer, catalog_rows):
    html = text(client.get("/catalog/?q=zzz", headers=HX))
    assert "No products match “zzz”." in html


def test_search_pages_keep_the_query(client, buyer):
    vendor = make_vendor("ESET")
    for i in range(23):
        make_product(name=f"ESET item {i:02d}", vendor=vendor)
    db.session.commit()
    html = text(client.get("/catalog/?q=eset"))
    assert "Page 1 of 2" in html and 'href="/catalog/?q=eset&amp;page=2"' in html
    assert "ESET item 22" in text(client.get("/catalog/?q=eset&page=2"))


def test_brand_then_category_then_products(client, buyer, catalog_rows):
    brand = text(client.get("/catalog/brands/microsoft/"))
    assert "ESD" in brand and "Cloud" in brand and 'href="/catalog/brands/microsoft/esd/"' in brand
    products = text(client.get("/catalog/brands/microsoft/esd/"))
    assert "Windows 11 Pro" in products and "Business Basic" not in products
    assert 'hx-get="/catalog/brands/microsoft/esd/"' in products
    assert client.get("/catalog/brands/nobody/").status_code == 404
    assert client.get("/catalog/brands/microsoft/nothing/").status_code == 404


def test_product_page_shows_details_and_the_buy_box(client, buyer, catalog_rows):
    html = text(client.get(f"/catalog/products/{catalog_rows.id}"))
    for part in ("Windows 11 Pro", "One device per key.", "Microsoft", "ESD", "KW9-00632", "windows", "$199.00",
                 "Add to cart", 'hx-post="/cart/lines"'):
        assert part in html


def test_prices_show_in_the_resellers_currency(client, login, catalog_rows):
    login(make_user(Role.RESELLER, reseller=make_reseller(currency="EUR")))
    assert "€199.00" in text(client.get(f"/catalog/products/{catalog_rows.id}"))


def test_cloud_services_have_no_add_to_cart(client, buyer, catalog_rows):
    html = text(client.get("/catalog/brands/microsoft/cloud/"))
    assert "Business Basic" in html and "Add to cart" not in html and "Provision for a customer" in html


def test_inactive_products_are_404(client, buyer, catalog_rows):
    catalog_rows.active = False
    db.session.commit()
    assert client.get(f"/catalog/products/{catalog_rows.id}").status_code == 404
    assert "Windows 11 Pro" not in text(client.get("/catalog/?q=windows"))


def test_staff_browse_without_buying(client, login, catalog_rows):
    login(make_user(Role.STAFF))
    html = text(client.get(f"/catalog/products/{catalog_rows.id}"))
    assert "Windows 11 Pro" in html and "Add to cart" not in html
