"""The catalog forgives a typo ("Ofice" finds Office 365) and leads a cloud card to provisioning for a customer."""
import pytest

from models import Role, db
from tests.factories import make_product, make_user
from tests.provisioning import cloud_setup

pytestmark = pytest.mark.usefixtures("app")


def test_a_typo_still_finds_and_says_what_it_searched(client, login):
    make_product(name="Office 365 E3", sku="O365-E3")
    make_product(name="Windows 11 Pro", sku="W11")
    login(make_user(Role.RESELLER))
    page = client.get("/catalog/?q=Ofice").text
    assert "Office 365 E3" in page and "Windows 11 Pro" not in page
    assert "Nothing matches “Ofice”; showing results for “office”." in page
    exact = client.get("/catalog/?q=office").text
    assert "Office 365 E3" in exact and "showing results for" not in exact
    assert "No products match “zzzzzz”." in client.get("/catalog/?q=zzzzzz").text


def test_a_cloud_card_leads_to_provisioning_it_for_a_customer(client, login):
    user, customer, product = cloud_setup(name="Microsoft 365 Business Basic")
    make_product(name="Other cloud thing", sku="OTHER-1", kind=product.kind, vendor=product.vendor)
    db.session.commit()
    login(user)
    card = client.get(f"/catalog/?q={product.sku}").text
    assert f'href="/customers/?provision={product.id}"' in card and "Provision for a customer" in card
    chooser = client.get(f"/customers/?provision={product.id}").text
    assert "Choose the customer to provision Microsoft 365 Business Basic for." in chooser
    link = f"/customers/{customer.id}/services/new/select?product={product.id}"
    assert f'href="{link}"' in chooser
    select = client.get(link).text
    assert f'value="{product.id}" checked' in select and "Other cloud thing" not in select
