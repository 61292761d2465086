"""The reseller's own price (its price list applied) is what the catalog, cart, checkout, New service, the CSV
preview and provisioning show and use; the suggested selling price beside it; unit and term for cloud prices."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from jobs.provisioning import run_due_imports
from models import Order, PriceUnit, db, utcnow
from services.catalog import pricing
from services.imports import uploads
from services.orders import cart as carts
from tests.bulk_import import csv_bytes
from tests.checkout.support import confirm, fill_cart, walk_to_review
from tests.factories import make_product, make_reseller, make_user
from tests.pricing import discount, override
from tests.provisioning import cloud_setup, due_now, subscriptions_of

YESTERDAY = utcnow().date() - timedelta(days=1)


def test_the_catalog_shows_the_resellers_cost_its_basis_and_the_selling_price(client, login):
    user = login(make_user())
    esd = make_product(name="Windows 11 Pro", price=Decimal("199.00"), msrp=Decimal("229.00"), unit=PriceUnit.DEVICE)
    discount(user.reseller, "10", YESTERDAY)
    db.session.commit()
    card = client.get("/catalog/?q=Windows").text
    card = card[card.index(f'id="product-{esd.id}"'):]
    assert '<p class="price">$179.10</p>' in card and "per device" in card and "Selling price: $229.00" in card
    page = client.get(f"/catalog/products/{esd.id}").text
    assert '<p class="price big">$179.10</p>' in page and "$199.00" not in page
    other = make_user()  # another reseller: no price list
    db.session.commit()
    login(other)
    assert '<p class="price big">$199.00</p>' in client.get(f"/catalog/products/{esd.id}").text


def test_cloud_cards_show_per_what_and_which_terms(client, login):
    login(make_user())
    cloud_setup(name="Business Standard", unit=PriceUnit.USER, billing_types=["P1Y-monthly", "monthly"])
    html = client.get("/catalog/?q=Business+Standard").text
    assert "per user and month, 1-year commitment / no commitment" in html


def test_cart_and_checkout_charge_the_resellers_price(client, login):
    user = login(make_user())
    product = make_product(price=Decimal("38.50"))
    override(user.reseller, product, "30.00", YESTERDAY)
    db.session.commit()
    fill_cart(user, (product, 3))
    [line] = carts.get_cart(user).lines
    assert (line.unit_price, line.price_now, line.price_changed) == (Decimal("30.00"), Decimal("30.00"), False)
    cart = client.get("/cart/").text
    assert "$30.00" in cart and "$90.00" in cart and "$38.50" not in cart
    response = confirm(client, walk_to_review(client))
    assert response.status_code == 303
    order = db.session.scalar(sa.select(Order))
    assert (order.subtotal, order.lines[0].unit_price) == (Decimal("90.00"), Decimal("30.00"))


@pytest.mark.usefixtures("app")
def test_a_subscription_records_the_resellers_price_of_the_provisioning_day():
    user, customer, product = cloud_setup(price=Decimal("15.00"))
    imp = due_now(user, customer, product, quantity=2)
    # Between scheduling and provisioning: the list price changes, and a 20 % discount starts.
    product.price = Decimal("16.40")
    discount(user.reseller, "20", utcnow().date())
    db.session.commit()
    assert run_due_imports() == 1
    [subscription] = subscriptions_of(imp.id)
    assert subscription.unit_price == Decimal("13.12")  # 16.40 × 0.80
    assert subscription.unit_cost == product.cost  # the distributor's cost, kept for staff margins


@pytest.mark.usefixtures("app")
def test_the_csv_preview_prices_each_subscription_row_for_the_reseller():
    user, customer, product = cloud_setup(price=Decimal("15.00"))
    discount(user.reseller, "10", YESTERDAY)
    header = ["customer_code", "sku", "quantity", "billing_type", "tenant_id", "schedule_at"]
    upload = uploads.save_upload(user.reseller, user, "subscriptions", "s.csv", csv_bytes(
        header, [[customer.code, product.sku, "2", "P1Y-monthly", "", ""], ["NOPE", "NOPE", "1", "monthly", "", ""]]))
    preview = uploads.preview(upload, user.reseller)
    assert preview.prices[product.id].price == Decimal("13.50")
    assert list(preview.products) == [product.id]


def test_the_csv_preview_page_shows_the_cost_column(client, login):
    user, customer, product = cloud_setup(price=Decimal("15.00"))
    login(user)
    discount(user.reseller, "10", YESTERDAY)
    header = ["customer_code", "sku", "quantity", "billing_type", "tenant_id", "schedule_at"]
    upload = uploads.save_upload(user.reseller, user, "subscriptions", "s.csv", csv_bytes(
        header, [[customer.code, product.sku, "2", "P1Y-monthly", "", ""]]))
    db.session.commit()
    html = client.get(f"/imports/uploads/{upload.id}").text
    row = html[html.index('id="row-1"'):]
    assert "$13.50" in row[:2000] and "1-year commitment" in row[:2000]


@pytest.mark.usefixtures("app")
def test_a_price_list_of_another_reseller_changes_nothing_here():
    reseller, other = make_reseller(), make_reseller()
    product = make_product(price=Decimal("10.00"))
    discount(other, "50", YESTERDAY)
    assert pricing.reseller_price(reseller, product, utcnow()) == Decimal("10.00")
