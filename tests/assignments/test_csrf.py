"""CSRF is ON here: the public activation form and the assign form carry their token."""
import re

import pytest

from models import LicenseStatus
from tests.assignments.support import assign, count, setup_pool


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1]


def test_confirm_activation_needs_the_pages_token(client):
    user, order, customer = setup_pool(6)
    assignment = assign(order, customer, 2, user)
    url = f"/activate/{assignment.token}"
    assert client.post(url).status_code == 400
    assert count(LicenseStatus.ACTIVATED, order) == 0
    response = client.post(url, data={"csrf_token": token(client.get(url).get_data(as_text=True))})
    assert response.status_code == 303 and count(LicenseStatus.ACTIVATED, order) == 2


def test_assign_needs_the_forms_token(client, login):
    user, order, customer = setup_pool(6)
    login(user)
    data = {"line_id": order.lines[0].id, "quantity": 1, "customer_id": customer.id}
    assert client.post(f"/licenses/orders/{order.id}/assign", data=data).status_code == 400
    page = client.get(f"/licenses/orders/{order.id}").get_data(as_text=True)
    response = client.post(f"/licenses/orders/{order.id}/assign", data={**data, "csrf_token": token(page)})
    assert response.status_code == 303 and count(LicenseStatus.ASSIGNED, order) == 1
