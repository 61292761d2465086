"""With CSRF protection on: the pages carry the tokens that their forms and htmx requests need."""
import re

import pytest

from models import Role, db
from tests.factories import make_product, make_user
from tests.support import HX


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def buyer(login):
    return login(make_user(Role.RESELLER))


def hidden_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def header_token(html: str) -> str:
    return re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', html).group(1)


def test_a_post_without_a_token_is_refused(client, buyer):
    product = make_product()
    db.session.commit()
    response = client.post("/cart/lines", data={"product_id": product.id, "quantity": "1"}, headers=HX)
    assert response.status_code == 400


def test_the_buy_box_and_checkout_forms_carry_their_tokens(client, buyer):
    product = make_product()
    db.session.commit()
    page = client.get(f"/catalog/products/{product.id}").get_data(as_text=True)
    added = client.post("/cart/lines", headers=HX,
                        data={"product_id": product.id, "quantity": "2", "csrf_token": hidden_token(page)})
    assert added.status_code == 200
    details = client.get("/checkout/details").get_data(as_text=True)
    response = client.post("/checkout/details", data={"confirmation_email": "a@b.test",
                                                      "csrf_token": hidden_token(details)})
    assert response.status_code == 303


def test_htmx_actions_use_the_page_header_token(client, buyer):
    product = make_product()
    db.session.commit()
    page = client.get(f"/catalog/products/{product.id}").get_data(as_text=True)
    token = header_token(page)
    response = client.post("/cart/lines", data={"product_id": product.id, "quantity": "1"},
                           headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 200
