"""The checkout pages: one URL per step, full page or step fragment, 422 on bad input, 303 onwards."""
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import Checkout, License, LicenseStatus, Order, OrderStatus, Role, db
from tests.checkout.support import confirm, fill_cart, review_fields, walk_to_review
from tests.factories import make_product, make_user
from tests.support import HX, HX_BOOSTED


@pytest.fixture
def buyer(login):
    return login(make_user(Role.RESELLER, email="ana@andes.test"))


@pytest.fixture
def product():
    return make_product(name="Windows 11 Pro", price=Decimal("199.00"))


@pytest.fixture
def filled(buyer, product):
    fill_cart(buyer, (product, 6))
    return buyer


def orders() -> list[Order]:
    return list(db.session.scalars(sa.select(Order)))


def test_an_empty_cart_sends_every_step_back_to_the_cart(client, buyer):
    for step in ("", "details", "review"):
        response = client.get(f"/checkout/{step}")
        assert response.status_code in (302, 303) and response.headers["Location"] == "/cart/"
    assert "Your cart is empty." in client.get("/cart/").get_data(as_text=True)


def test_start_goes_to_the_first_step_and_later_steps_wait_for_earlier_ones(client, filled):
    assert client.get("/checkout/").headers["Location"] == "/checkout/details"
    for step in ("delivery", "amount", "review"):
        assert client.get(f"/checkout/{step}").headers["Location"] == "/checkout/details"
    assert client.post("/checkout/amount").headers["Location"] == "/checkout/details"
    client.post("/checkout/details", data={"confirmation_email": "a@b.test"})
    assert client.get("/checkout/review").headers["Location"] == "/checkout/delivery"
    assert client.get("/checkout/nowhere").status_code == 404


def test_details_page_full_fragment_and_boosted(client, filled):
    page = client.get("/checkout/details")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "HX-Request" in page.headers["Vary"]
    assert 'value="ana@andes.test"' in html  # prefilled with the user's e-mail
    assert 'aria-current="step"' in html and "Purchase details" in html
    fragment = client.get("/checkout/details", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'name="confirmation_email"' in fragment
    assert "<html" in client.get("/checkout/details", headers=HX_BOOSTED).get_data(as_text=True)


@pytest.mark.parametrize("email,description,message", [
    ("not-an-email", "PO-1", "Enter a valid e-mail address."),
    ("ana@andes.test\r\nBcc: all@evil.test", "PO-1", "Enter a valid e-mail address."),
    ("", "PO-1", "Enter the e-mail address that receives the confirmation."),
    ("ana@andes.test", "x" * 201, "At most 200 characters."),
])
def test_details_refuses_bad_input_and_keeps_what_was_typed(client, filled, email, description, message):
    response = client.post("/checkout/details", data={"confirmation_email": email, "description": description},
                           headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and response.headers["HX-Push-Url"] == "false"
    assert message in html and "<html" not in html
    assert f'value="{description}"' in html
    assert not db.session.scalar(sa.select(Checkout.completed_steps))  # nothing saved


def test_details_saves_and_goes_on_then_back_shows_what_was_saved(client, filled):
    response = client.post("/checkout/details", data={"confirmation_email": " Compras@Andes.TEST ",
                                                      "description": "PO-77"})
    assert response.status_code == 303 and response.headers["Location"] == "/checkout/delivery"
    html = client.get("/checkout/details").get_data(as_text=True)
    assert 'value="Compras@andes.test"' in html and 'value="PO-77"' in html


@pytest.mark.parametrize("data,message", [
    ({}, "Choose how the order is delivered."),
    ({"delivery_method": "drone"}, "Not a valid choice"),
    ({"delivery_method": "pickup", "delivery_comments": "y" * 1001}, "At most 1000 characters."),
])
def test_delivery_refuses_bad_input(client, filled, data, message):
    client.post("/checkout/details", data={"confirmation_email": "a@b.test"})
    response = client.post("/checkout/delivery", data=data, headers=HX)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Checkout.completed_steps)) == 1


def test_amount_shows_lines_and_totals_with_the_configured_tax(app, client, filled):
    app.config["TAX_RATE"] = "0.22"
    client.post("/checkout/details", data={"confirmation_email": "a@b.test"})
    client.post("/checkout/delivery", data={"delivery_method": "pickup"})
    html = client.get("/checkout/amount").get_data(as_text=True)
    assert "Windows 11 Pro" in html and "$199.00" in html
    assert "$1,194.00" in html and "Tax (22%)" in html and "$262.68" in html and "$1,456.68" in html


def test_review_shows_everything_and_confirming_places_one_pending_order(client, filled, product):
    html = walk_to_review(client, description="PO-1234", method="pickup")
    for text in ("buyer@example.com", "PO-1234", "Pickup at the distributor", "Deliver by e-mail",
                 "On account", "Windows 11 Pro", "$1,194.00", "Confirm order"):
        assert text in html
    response = confirm(client, html)
    assert response.status_code == 303
    [order] = orders()
    assert response.headers["Location"] == f"/checkout/done/{order.id}"
    assert (order.status, order.total, order.description) == (OrderStatus.PENDING, Decimal("1194.00"), "PO-1234")
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines] == [(product.sku, 6, Decimal("199.00"))]
    assert db.session.scalar(sa.select(sa.func.count(License.id)).where(License.status == LicenseStatus.PENDING)) == 6
    assert db.session.scalar(sa.select(Checkout)) is None
    assert "Your cart is empty." in client.get("/cart/").get_data(as_text=True)
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Order {order.number} was placed" in done and "0 of 6" in done and "Pending" in done


def test_a_double_submit_makes_one_order(client, filled):
    html = walk_to_review(client)
    first, second = confirm(client, html), confirm(client, html)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(orders()) == 1


def test_posted_prices_and_totals_are_ignored(client, filled, product):
    html = walk_to_review(client)
    confirm(client, html, price="0.01", unit_price="0.01", total="1.00", subtotal="1.00")
    [order] = orders()
    assert order.total == Decimal("1194.00") and order.lines[0].unit_price == Decimal("199.00")


def test_a_price_change_after_the_review_was_shown_is_refused_then_shown(client, filled, product):
    html = walk_to_review(client)
    product.price = Decimal("210.00")
    db.session.commit()
    response = confirm(client, html)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Prices or quantities changed" in body
    assert "Price changed (was $199.00)" in body and "$1,260.00" in body
    assert orders() == []
    assert confirm(client, body).status_code == 303  # confirming what is now shown works
    assert orders()[0].total == Decimal("1260.00")


def test_an_unavailable_product_stops_the_amount_step(client, filled, product):
    client.post("/checkout/details", data={"confirmation_email": "a@b.test"})
    client.post("/checkout/delivery", data={"delivery_method": "pickup"})
    product.active = False
    db.session.commit()
    response = client.post("/checkout/amount")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "No longer available: remove it from your cart." in html
    assert db.session.scalar(sa.select(Checkout.completed_steps)) == 2


def test_a_successful_step_post_from_htmx_follows_to_the_next_step_fragment(client, filled):
    response = client.post("/checkout/details", data={"confirmation_email": "a@b.test"}, headers=HX,
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.request.path == "/checkout/delivery" and "<html" not in html
    assert "How should we deliver this order?" in html


def test_the_done_page_of_another_resellers_order_is_404(client, filled, login):
    html = walk_to_review(client)
    location = confirm(client, html).headers["Location"]
    login(make_user(Role.RESELLER))
    assert client.get(location).status_code == 404


def test_staff_cannot_check_out(client, login):
    login(make_user(Role.STAFF))
    assert client.get("/checkout/details").status_code == 403


def test_a_stale_review_form_does_not_place_an_order(client, filled, product):
    html = walk_to_review(client)
    fields = review_fields(html)
    response = client.post("/checkout/review", data={**fields, "token": "forged"})
    assert response.status_code == 422 and "already been completed or has expired" in response.get_data(as_text=True)
    assert orders() == []
