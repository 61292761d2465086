"""Customers: list with search and pages, create with a code unique per reseller, edit, deactivate, 404s."""
import re

import pytest
import sqlalchemy as sa

from models import AuditEvent, Customer, CustomerStatus, Role, Subscription, db
from services import customers
from services.customers import CustomerError
from tests.factories import make_customer, make_user
from tests.provisioning import cloud_setup, due_now
from tests.support import HX, HX_BOOSTED

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app

NEW = {"code": "C-100", "name": "Acme <b>Uruguay</b> S.A.", "email": "it@acme.com.uy", "domain": "acme.com.uy",
       "country": "uy", "language": "es", "currency": "usd", "tenant_id": ""}


@pytest.fixture
def user(login):
    return login(make_user())


def test_create_then_show(client, user):
    response = client.post("/customers/", data=NEW)
    assert response.status_code == 303
    customer = db.session.scalar(sa.select(Customer))
    assert response.headers["Location"] == f"/customers/{customer.id}"
    assert (customer.reseller_id, customer.code, customer.country, customer.currency) == \
        (user.reseller_id, "C-100", "UY", "USD")
    page = client.get(f"/customers/{customer.id}").text
    assert "Acme &lt;b&gt;Uruguay&lt;/b&gt; S.A." in page and "<b>Uruguay</b>" not in page  # escaped
    for expected in ("Company details", "Subscriptions", "New service", 'id="customer-licenses"',
                     "No subscriptions yet."):
        assert expected in page
    assert db.session.scalar(sa.select(AuditEvent.action)) == "customer.created"


@pytest.mark.parametrize("field,value,message", [
    ("code", "", "This field is required."),
    ("name", "", "This field is required."),
    ("email", "not-an-address", "Enter a valid e-mail address."),
    ("email", "a@b.com\r\nBcc: x@y.com", "Enter a valid e-mail address."),
    ("tenant_id", "1234", "GUID"),
    ("country", "URY", "Not a valid choice."),  # a select of current ISO codes
    ("country", "DD", "Not a valid choice."),  # East Germany: no longer a country
    ("currency", "DEM", "Not a valid choice."),  # no longer legal tender
    ("domain", "not a domain", "Enter a domain"),
])
def test_bad_input_comes_back_with_the_message(client, user, field, value, message):
    response = client.post("/customers/", data={**NEW, field: value})
    assert response.status_code == 422 and message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0


def test_the_code_is_unique_per_reseller_only(client, user):
    make_customer(user.reseller, code="C-100")
    other = make_user()
    make_customer(other.reseller, code="C-200")
    db.session.commit()
    response = client.post("/customers/", data=NEW)
    assert response.status_code == 422 and "You already have a customer with the code C-100." in response.text
    assert client.post("/customers/", data={**NEW, "code": "C-200"}).status_code == 303  # another's code: fine


def test_the_service_refuses_a_duplicate_code_too():
    user = make_user()
    make_customer(user.reseller, code="X")
    with pytest.raises(CustomerError) as excinfo:
        customers.create_customer(user.reseller, user, code="X", name="Dup", email="d@example.com")
    assert excinfo.value.field == "code"


def test_edit(client, user):
    customer = make_customer(user.reseller, code="C-1")
    db.session.commit()
    page = client.get(f"/customers/{customer.id}/edit").text
    assert 'value="C-1"' in page
    response = client.post(f"/customers/{customer.id}", data={**NEW, "code": "C-1", "city": "Montevideo",
                                                              "billing_start": "2026-12-01"})
    assert response.status_code == 303
    db.session.expire_all()
    customer = db.session.get(Customer, customer.id)
    assert customer.city == "Montevideo" and str(customer.billing_start) == "2026-12-01"
    assert client.post(f"/customers/{customer.id}", data={**NEW, "email": ""}).status_code == 422


def test_deactivate_asks_first_then_reactivate(client, user):
    customer = make_customer(user.reseller)
    db.session.commit()
    page = client.get(f"/customers/{customer.id}").text
    assert 'hx-confirm="Deactivate' in page and 'data-confirm-yes="Yes, deactivate"' in page
    assert client.post(f"/customers/{customer.id}/deactivate").status_code == 303
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).status is CustomerStatus.INACTIVE
    page = client.get(f"/customers/{customer.id}").text
    assert "New service" not in page and "Activate" in page
    client.post(f"/customers/{customer.id}/activate")
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).status is CustomerStatus.ACTIVE


def test_list_search_and_pages(client, user):
    for n in range(45):
        make_customer(user.reseller, code=f"C-{n:03d}", name=f"Company {n}")
    make_customer(user.reseller, code="Z-1", name="Bodega 100% Natural_Wines")
    make_customer(make_user().reseller, code="C-999", name="Someone else's")
    db.session.commit()
    first = client.get("/customers/").text
    assert "46 customers" in first and "C-000" in first and "C-020" not in first and "Page 1 of 3" in first
    assert "C-020" in client.get("/customers/?page=2").text
    assert "C-999" not in client.get("/customers/?page=3").text
    found = client.get("/customers/?q=natural_", headers=HX).text
    assert "<html" not in found and "Z-1" in found and "C-001" not in found
    assert "Z-1" in client.get("/customers/?q=100%25").text
    assert "C-0" not in client.get("/customers/?q=100%25").text  # % is a character, not a wildcard
    assert "No customer matches" in client.get("/customers/?q=nothing-like-this").text
    assert "<html" in client.get("/customers/", headers=HX_BOOSTED).text
    assert "Page 3 of 3" in client.get("/customers/?page=99").text


def test_empty_state(client, user):
    assert "You have no customers yet." in client.get("/customers/").text


def test_the_customer_page_lists_subscriptions_with_their_cancellation_window(client, login):
    user, customer, product = cloud_setup()
    login(user)
    from jobs.provisioning import run_due_imports

    due_now(user, customer, product, quantity=4)
    run_due_imports()
    page = client.get(f"/customers/{customer.id}").text
    assert product.name in page and "Monthly, 1-year commitment" in page and "Active" in page
    assert "Scheduled provisioning:" not in page
    due_now(user, customer, product)
    assert "Scheduled provisioning:" in client.get(f"/customers/{customer.id}").text
    window = db.session.scalar(sa.select(Subscription.cancellable_until))  # when the window closes
    stamp = re.escape(window.isoformat())
    cell = re.search(rf'<time datetime="{stamp}">[^<]+</time> <small[^>]*>([^<]+)</small>', page)
    assert cell[1] == f"{window:%Y-%m-%d %H:%M} UTC"  # local time, the UTC the window closes at beside it
    assert len(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", page)) == 1  # the creation date only once, local


def test_another_resellers_customer_answers_404(client, user):
    foreign = make_customer(make_user().reseller)
    db.session.commit()
    for method, path in (("GET", ""), ("GET", "/edit"), ("POST", ""), ("POST", "/deactivate"),
                         ("POST", "/activate")):
        assert client.open(f"/customers/{foreign.id}{path}", method=method, data=NEW).status_code == 404
    db.session.expire_all()
    assert db.session.get(Customer, foreign.id).status is CustomerStatus.ACTIVE


def test_only_resellers_get_in(client, login):
    assert client.get("/customers/").status_code == 302
    assert client.get("/customers/", headers=HX).status_code == 401
    login(make_user(Role.STAFF))
    assert client.get("/customers/").status_code == 403
    assert client.get("/imports/").status_code == 403
