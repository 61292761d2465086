"""The order page: "Assign", bad input (422 next to the field), escaping, tenant isolation."""
import pytest
import sqlalchemy as sa

from models import Assignment, CustomerStatus, LicenseStatus, OrderStatus, OutboxEmail, Role, db
from tests.assignments.support import assign, count, setup_pool
from tests.factories import make_customer, make_order, make_product, make_user
from tests.support import HX

XSS = '<script>alert("x")</script> & Co'


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def pool(login):
    user, order, customer = setup_pool(6, code="ACME", name="Acme Ltda.")
    login(user)
    return user, order, customer


def post_assign(client, order, customer_id, quantity, **headers):
    return client.post(f"/licenses/orders/{order.id}/assign", headers=headers,
                       data={"line_id": order.lines[0].id, "quantity": quantity, "customer_id": customer_id})


def nothing_written(order) -> bool:
    return (count(LicenseStatus.AVAILABLE, order) == 6
            and db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 0
            and db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 0)


def test_the_order_page_offers_assign_with_active_customers_only(client, pool):
    user, order, customer = pool
    make_customer(user.reseller, code="OLD", name="Old Customer", status=CustomerStatus.INACTIVE)
    make_customer(make_user(Role.RESELLER).reseller, code="FOREIGN", name="Someone Else's")
    db.session.commit()
    html = text(client.get(f"/licenses/orders/{order.id}"))
    for part in ("Assign licenses to a customer", "Quantity to assign", "Windows 11 Pro · 6 of 6 available",
                 f'<option value="{customer.id}">ACME · Acme Ltda.</option>', ">Assign</button>",
                 'href="/customers/"', "Manage customers", "No licenses of this order have been assigned yet."):
        assert part in html
    assert "Old Customer" not in html and "Someone Else" not in html


def test_assign_then_the_page_shows_assigned_queued_and_the_new_availability(client, pool):
    user, order, customer = pool
    response = post_assign(client, order, customer.id, 2)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/licenses/orders/{order.id}#assignments"
    html = text(client.get(response.headers["Location"]))
    assert "2 licenses assigned to Acme Ltda.; the activation e-mail is on its way." in html
    assert "4 of 6" in html and "Assigned" in html and "Queued" in html and customer.email in html
    assignment = db.session.scalar(sa.select(Assignment))
    assert f'hx-get="/licenses/assignments/{assignment.id}/emails" hx-trigger="every 2s"' in html
    assert count(LicenseStatus.ASSIGNED, order) == 2
    assert "Resend to customer" in html and "Send to another address" in html


@pytest.mark.parametrize("quantity, message", [
    ("0", "Enter a quantity of at least 1."), ("-3", "Enter a quantity of at least 1."),
    ("abc", "Enter a whole number."), ("", "Enter how many licenses to assign."),
    ("7", "Only 6 licenses are available."), ("99999999999999999999", "Only 6 licenses are available."),
])
def test_bad_quantities_come_back_422_next_to_the_field(client, pool, quantity, message):
    user, order, customer = pool
    response = post_assign(client, order, customer.id, quantity)
    html = text(response)
    assert response.status_code == 422 and "<html" in html
    assert f'<small class="field-error" id="quantity-error">{message}</small>' in html
    assert f'value="{quantity}" aria-invalid="true"' in html  # what was typed comes back
    assert nothing_written(order)


def test_a_targeted_htmx_post_gets_only_the_form_block(client, pool):
    user, order, customer = pool
    response = post_assign(client, order, customer.id, "0", **HX)
    assert response.status_code == 422 and "<html" not in text(response)
    assert "Enter a quantity of at least 1." in text(response)


def test_no_customer_chosen_an_inactive_one_and_another_resellers(client, pool):
    user, order, customer = pool
    inactive = make_customer(user.reseller, name="Dormant S.A.", status=CustomerStatus.INACTIVE)
    foreign = make_customer(make_user(Role.RESELLER).reseller)
    db.session.commit()
    response = post_assign(client, order, "", 1)
    assert response.status_code == 422 and "Choose a customer." in text(response)
    response = post_assign(client, order, inactive.id, 1)
    assert response.status_code == 422
    assert "Dormant S.A. is inactive: activate the customer before assigning licenses." in text(response)
    assert post_assign(client, order, foreign.id, 1).status_code == 404
    assert post_assign(client, order, 999999, 1).status_code == 404
    assert nothing_written(order)


def test_a_pending_order_has_no_assign_form_and_refuses_a_post(client, pool):
    user, order, customer = pool
    pending = make_order(user, lines=[(make_product(), 2)])
    db.session.commit()
    assert "Quantity to assign" not in text(client.get(f"/licenses/orders/{pending.id}"))
    response = post_assign(client, pending, customer.id, 1)
    assert response.status_code == 303
    assert "Licenses can be assigned once the order is approved." in text(client.get(response.headers["Location"]))
    assert count(LicenseStatus.PENDING, pending) == 2


def test_names_with_html_are_escaped_everywhere(client, pool):
    user, order, customer = pool
    evil = make_customer(user.reseller, code="<b>X</b>", name=XSS)
    db.session.commit()
    html = text(client.get(f"/licenses/orders/{order.id}"))
    assert "&lt;script&gt;alert(" in html and '<script>alert("x")' not in html and "<b>X</b>" not in html
    response = client.post(f"/licenses/orders/{order.id}/assign", follow_redirects=True,
                           data={"line_id": order.lines[0].id, "quantity": 1, "customer_id": evil.id})
    html = text(response)
    assert "assigned to &lt;script&gt;" in html and '<script>alert("x")' not in html  # flash and table
    options = text(client.get(f"/licenses/orders/{order.id}/customer-options?q=script", headers=HX))
    assert "&lt;script&gt;" in options and "<script>" not in options
    page = text(client.get(f"/customers/{evil.id}"))
    assert "KEY-" in page and '<script>alert("x")' not in page


def test_customer_search_returns_matching_active_options(client, pool):
    user, order, customer = pool
    make_customer(user.reseller, code="ZETA", name="Zeta S.A.")
    make_customer(user.reseller, code="ACME-OLD", name="Acme Old", status=CustomerStatus.INACTIVE)
    db.session.commit()
    html = text(client.get(f"/licenses/orders/{order.id}/customer-options?q=acme", headers=HX))
    assert "ACME · Acme Ltda." in html and "Zeta" not in html and "Acme Old" not in html
    assert "No active customer matches." in text(client.get(
        f"/licenses/orders/{order.id}/customer-options?q=nobody", headers=HX))


def test_the_customer_page_lists_its_licenses_and_the_licenses_pages_link_to_customers(client, pool):
    user, order, customer = pool
    assignment = assign(order, customer, 2, user)
    html = text(client.get(f"/customers/{customer.id}"))
    for lic in assignment.licenses:
        assert lic.key in html
    assert "Assigned" in html and order.number in html and f"/licenses/export.csv?customer={customer.id}" in html
    index = text(client.get("/licenses/"))
    assert "Manage customers" in index and 'href="/licenses/export.csv"' in index


def test_another_reseller_gets_404_on_everything(client, login):
    owner, order, customer = setup_pool(6)
    assignment = assign(order, customer, 2, owner)
    [email] = db.session.scalars(sa.select(OutboxEmail)).all()
    intruder = make_user(Role.RESELLER)
    own_customer = make_customer(intruder.reseller)
    login(intruder)
    assert client.get(f"/licenses/orders/{order.id}").status_code == 404
    assert post_assign(client, order, own_customer.id, 1).status_code == 404
    assert client.get(f"/licenses/orders/{order.id}/customer-options", headers=HX).status_code == 404
    assert client.get(f"/licenses/assignments/{assignment.id}/emails", headers=HX).status_code == 404
    assert client.post(f"/licenses/assignments/{assignment.id}/resend").status_code == 404
    send = client.post(f"/licenses/assignments/{assignment.id}/send", data={"email": "x@example.com"})
    assert send.status_code == 404
    assert client.post(f"/licenses/emails/{email.id}/retry").status_code == 404
    assert client.get(f"/licenses/export.csv?customer={customer.id}").status_code == 404
    export = text(client.get("/licenses/export.csv"))
    assert "KEY-" not in export and order.number not in export
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == 1


def test_staff_and_anonymous_cannot_assign(client, login):
    owner, order, customer = setup_pool(6)
    assert post_assign(client, order, customer.id, 1).status_code == 302  # to the login page
    login(make_user(Role.STAFF))
    assert post_assign(client, order, customer.id, 1).status_code == 403
    assert count(LicenseStatus.AVAILABLE, order) == 6


def test_an_order_with_two_products_assigns_from_the_chosen_one(client, login):
    user = login(make_user(Role.RESELLER))
    order = make_order(user, lines=[(make_product(name="Office"), 2), (make_product(name="Visio"), 3)],
                       status=OrderStatus.APPROVED)
    customer = make_customer(user.reseller)
    db.session.commit()
    response = client.post(f"/licenses/orders/{order.id}/assign",
                           data={"line_id": order.lines[1].id, "quantity": 3, "customer_id": customer.id})
    assert response.status_code == 303
    html = text(client.get(f"/licenses/orders/{order.id}"))
    assert "Visio · 0 of 3 available" in html and "Office · 2 of 2 available" in html and "2 of 5" in html
