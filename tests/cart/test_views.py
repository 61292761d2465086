"""The cart pages: add from the catalog (badge updated out of band), change, remove, tenant isolation."""
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import CartLine, Role, db
from services.orders import cart as carts
from tests.factories import make_product, make_user
from tests.support import HX, HX_BOOSTED


@pytest.fixture
def buyer(login):
    return login(make_user(Role.RESELLER))


@pytest.fixture
def product():
    return make_product(name="ESET Endpoint Antivirus", price=Decimal("38.50"), max_quantity=500)


def badge(html: str) -> str:
    return re.search(r'<a id="cart-badge"[^>]*>(.*?)</a>', html, re.S).group(1)


def test_add_from_htmx_returns_the_buy_box_and_the_badge_out_of_band(client, buyer, product):
    db.session.commit()
    response = client.post("/cart/lines", data={"product_id": product.id, "quantity": "6"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert f'id="buy-{product.id}"' in html and "Added 6. You have 6 in your cart." in html
    assert 'hx-swap-oob="true"' in html and ">6</span>" in badge(html)
    assert carts.item_count(buyer) == 6


def test_every_page_shows_the_units_loaded_with_the_user_and_a_post_counts_again(client, buyer, product):
    db.session.commit()
    client.post("/cart/lines", data={"product_id": product.id, "quantity": "3"}, headers=HX)
    assert ">3</span>" in badge(client.get("/catalog/").get_data(as_text=True))
    # the user (and the count with it) is loaded before this POST adds 4 more: its badge must not say 3
    response = client.post("/cart/lines", data={"product_id": product.id, "quantity": "4"}, headers=HX)
    assert ">7</span>" in badge(response.get_data(as_text=True))
    assert ">7</span>" in badge(client.get("/licenses/").get_data(as_text=True))


def test_a_refused_form_elsewhere_still_shows_the_units(client, buyer, product):
    db.session.commit()
    client.post("/cart/lines", data={"product_id": product.id, "quantity": "3"}, headers=HX)
    # the customer form is refused and its view rolls back, which expires the user loaded with the count
    response = client.post("/customers/new", data={"code": "", "name": ""})
    assert response.status_code == 422 and ">3</span>" in badge(response.get_data(as_text=True))


def test_add_without_htmx_redirects_to_the_cart(client, buyer, product):
    db.session.commit()
    response = client.post("/cart/lines", data={"product_id": product.id, "quantity": "2"})
    assert response.status_code == 303 and response.headers["Location"] == "/cart/"
    html = client.get("/cart/").get_data(as_text=True)
    assert "Added 2 × ESET Endpoint Antivirus to your cart." in html and ">2</span>" in badge(html)


@pytest.mark.parametrize("quantity,message", [
    ("0", "Enter a quantity of at least 1."),
    ("-2", "Enter a quantity of at least 1."),
    ("abc", "Enter a whole number."),
    ("1.5", "Enter a whole number."),
    ("²", "Enter a whole number."),  # isdigit() says yes, int() raises
    ("٣", "Enter a whole number."),  # int() reads it as 3
    ("", "Enter a quantity."),
    ("501", "Enter a quantity from 1 to 500."),
    ("99999999999999999999", "Enter a quantity from 1 to 500."),
])
def test_bad_quantities_are_refused_next_to_the_field_and_change_nothing(client, buyer, product, quantity, message):
    db.session.commit()
    response = client.post("/cart/lines", data={"product_id": product.id, "quantity": quantity}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert f'value="{quantity}"' in html and 'aria-invalid="true"' in html
    assert carts.item_count(buyer) == 0


def test_unknown_product_is_404_and_inactive_product_is_refused(client, buyer, product):
    product.active = False
    db.session.commit()
    assert client.post("/cart/lines", data={"product_id": "999999", "quantity": "1"}, headers=HX).status_code == 404
    assert client.post("/cart/lines", data={"product_id": "x", "quantity": "1"}, headers=HX).status_code == 404
    response = client.post("/cart/lines", data={"product_id": product.id, "quantity": "1"}, headers=HX)
    assert response.status_code == 422 and "This product is not available." in response.get_data(as_text=True)
    assert carts.item_count(buyer) == 0


def test_a_posted_price_is_ignored(client, buyer, product):
    db.session.commit()
    client.post("/cart/lines", data={"product_id": product.id, "quantity": "1", "price": "0.01",
                                     "unit_price": "0.01"}, headers=HX)
    assert db.session.scalar(sa.select(CartLine.unit_price)) == Decimal("38.50")


def test_cart_page_full_fragment_and_boosted(client, buyer, product):
    carts.add_to_cart(buyer, product.id, 3)
    db.session.commit()
    page = client.get("/cart/")
    html = page.get_data(as_text=True)
    assert "<html" in html and "ESET Endpoint Antivirus" in html and "$115.50" in html and "Checkout" in html
    assert 'href="/checkout/"' in html
    fragment = client.get("/cart/", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="quantity-' in fragment
    assert "<html" in client.get("/cart/", headers=HX_BOOSTED).get_data(as_text=True)


def test_empty_cart_has_an_empty_state(client, buyer):
    html = client.get("/cart/").get_data(as_text=True)
    assert "Your cart is empty." in html and "Browse the catalog" in html


def test_the_cart_says_when_a_price_changed(client, buyer, product):
    carts.add_to_cart(buyer, product.id, 2)
    product.price = Decimal("40.00")
    db.session.commit()
    html = client.get("/cart/").get_data(as_text=True)
    assert "Price changed (was $38.50)" in html and "$80.00" in html


def test_change_quantity_inline(client, buyer, product):
    line = carts.add_to_cart(buyer, product.id, 1)
    db.session.commit()
    response = client.post(f"/cart/lines/{line.id}", data={"quantity": "4"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "$154.00" in html and ">4</span>" in badge(html)
    bad = client.post(f"/cart/lines/{line.id}", data={"quantity": "0"}, headers=HX)
    assert bad.status_code == 422 and "Enter a quantity of at least 1." in bad.get_data(as_text=True)
    assert 'value="0"' in bad.get_data(as_text=True)
    assert carts.item_count(buyer) == 4


def test_remove_a_line(client, buyer, product):
    line = carts.add_to_cart(buyer, product.id, 1)
    db.session.commit()
    html = client.post(f"/cart/lines/{line.id}/delete", headers=HX).get_data(as_text=True)
    assert "Your cart is empty." in html and ">0</span>" in badge(html)
    assert carts.item_count(buyer) == 0


def test_another_resellers_cart_line_is_404(client, login, product):
    owner = make_user(Role.RESELLER)
    line = carts.add_to_cart(owner, product.id, 1)
    login(make_user(Role.RESELLER))
    assert client.post(f"/cart/lines/{line.id}", data={"quantity": "3"}).status_code == 404
    assert client.post(f"/cart/lines/{line.id}/delete").status_code == 404
    assert carts.item_count(owner) == 1


def test_the_cart_is_kept_across_sessions(app, buyer, product):
    carts.add_to_cart(buyer, product.id, 2)
    db.session.commit()
    fresh = app.test_client()
    with fresh.session_transaction() as session:
        session["_user_id"] = buyer.get_id()
    assert ">2</span>" in badge(fresh.get("/cart/").get_data(as_text=True))


def test_only_resellers_have_a_cart(client, login):
    assert client.get("/cart/").status_code == 302  # anonymous: log in first
    login(make_user(Role.STAFF))
    assert client.get("/cart/").status_code == 403
