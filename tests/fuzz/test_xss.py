"""XSS payloads in every free-text field (customers, checkout description and comments, reseller names,
product names) come back escaped in pages, htmx partials, e-mails and CSV exports."""
from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from models import Customer, Order, OrderStatus, Role, db
from services.orders import assignments
from tests.checkout.support import confirm, fill_cart, walk_to_review
from tests.factories import make_order, make_product, make_reseller, make_user
from tests.support import HX, run_jobs

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW = ("<script>alert", "<img src=x")  # what must never reach a page unescaped
FORMULA = "=HYPERLINK(\"http://evil.example\",\"x\")"
CUSTOMER_TEXT_FIELDS = ("name", "tax_id", "contact_name", "phone", "address", "city", "zip_code")


def assert_escaped(client, urls, must_show: str = "&lt;script&gt;") -> None:
    shown = False
    for url in urls:
        for headers in ({}, HX):
            response = client.get(url, headers=headers)
            assert response.status_code < 400, f"{url}: {response.status_code}"
            body = response.get_data(as_text=True)
            assert not [raw for raw in RAW if raw in body], f"{url} ({headers or 'page'}) renders a raw payload"
            shown = shown or must_show in body or "&lt;img src=x" in body
    assert shown, "the payload never appeared (escaped) on any of these pages: the test proved nothing"


def assert_mail_safe(smtp, count: int) -> None:
    messages = smtp.wait_for_messages(count)
    for message in messages:
        for part in message.walk():
            if part.get_content_type() == "text/html":
                assert not [raw for raw in RAW if raw in part.get_content()], message["Subject"]
        assert "\n" not in (message["Subject"] or "")


def csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def assert_csv_safe(text: str, expect: str) -> None:
    cells = csv_cells(text)
    assert any(expect in cell for cell in cells), "the payload is not in the export: the test proved nothing"
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], "a cell a spreadsheet would run"


@pytest.mark.parametrize("payload", [SCRIPT, IMG])
def test_customer_free_text_is_escaped_in_pages_partials_mail_and_csv(client, login, smtp, payload):
    user = login(make_user())
    order = make_order(user, lines=[(make_product(), 3)], status=OrderStatus.APPROVED)
    db.session.commit()
    data = {"code": f"{payload}-1", "email": "xss@example.com", "language": "en", "currency": "USD",
            **dict.fromkeys(CUSTOMER_TEXT_FIELDS, payload), "zip_code": "<img src=x>"}  # zip: 20 characters at most
    assert client.post("/customers/", data=data).status_code == 303
    customer = db.session.scalar(sa.select(Customer).where(Customer.reseller_id == user.reseller_id))
    assert customer.name == payload  # stored as typed: escaping is the renderer's job
    assigned = client.post(f"/licenses/orders/{order.id}/assign",
                           data={"line_id": order.lines[0].id, "quantity": 1, "customer_id": customer.id})
    assert assigned.status_code == 303
    assert_escaped(client, ["/customers/", f"/customers/?q={payload[:8]}", f"/customers/{customer.id}",
                            f"/customers/{customer.id}/edit", f"/licenses/orders/{order.id}",
                            f"/licenses/orders/{order.id}/customer-options?q=",
                            f"/customers/{customer.id}/services/new/select"])
    run_jobs("mail")
    assert_mail_safe(smtp, 1)
    db.session.execute(sa.update(Customer).where(Customer.id == customer.id).values(name=FORMULA, code="@SUM(1)"))
    db.session.commit()
    assert_csv_safe(client.get("/licenses/export.csv").get_data(as_text=True), "HYPERLINK")


def test_checkout_description_and_comments_are_escaped_everywhere(client, login, smtp):
    user = login(make_user())
    fill_cart(user, (make_product(), 1))
    walk_to_review(client, description=SCRIPT, method="electronic")
    assert client.post("/checkout/delivery", data={"delivery_method": "electronic",
                                                    "delivery_comments": IMG}).status_code == 303
    html = client.get("/checkout/review").get_data(as_text=True)
    assert not [raw for raw in RAW if raw in html]
    assert confirm(client, html).status_code == 303
    order = db.session.scalar(sa.select(Order).where(Order.user_id == user.id))
    assert (order.description, order.delivery_comments) == (SCRIPT, IMG)
    assert_escaped(client, ["/checkout/review", f"/checkout/done/{order.id}", f"/licenses/orders/{order.id}",
                            "/licenses/"])
    staff = make_user(Role.STAFF)
    login(staff)
    assert_escaped(client, [f"/admin/approvals/{order.id}", "/admin/approvals", "/admin/orders/"])
    assert client.post(f"/admin/approvals/{order.id}/approve").status_code == 303
    run_jobs("mail")
    assert_mail_safe(smtp, 1)


def test_reseller_and_product_names_are_escaped_in_admin_and_reseller_pages_mail_and_csv(client, login, smtp):
    reseller = make_reseller(name=SCRIPT)
    user = make_user(reseller=reseller)
    product = make_product(name=IMG, sku="XSS-1")
    order = make_order(user, lines=[(product, 2)], status=OrderStatus.APPROVED)
    db.session.commit()
    staff = login(make_user(Role.STAFF))
    assert_escaped(client, ["/admin/resellers/", f"/admin/resellers/{reseller.id}",
                            f"/admin/resellers/{reseller.id}/edit", "/admin/catalog/",
                            f"/admin/catalog/products/{product.id}/edit", "/admin/orders/", "/admin/"])
    login(user)
    assert_escaped(client, ["/catalog/", f"/catalog/products/{product.id}", "/catalog/?q=XSS",
                            f"/licenses/orders/{order.id}", "/licenses/"], must_show="&lt;img src=x")
    customer = make_customer_for(user)
    assignments.assign_licenses(order, order.lines[0].id, customer, 1, user)
    db.session.commit()
    run_jobs("mail")
    assert_mail_safe(smtp, 1)
    mail = smtp.messages[0].get_body(preferencelist=("plain",)).get_content()
    assert IMG in mail or SCRIPT in mail  # plain text carries the name as typed; no HTML part to run it
    export = client.get("/licenses/export.csv")  # a download, never rendered as a page; formulas defused
    assert export.mimetype == "text/csv" and export.headers["Content-Disposition"].startswith("attachment")
    assert_csv_safe(export.get_data(as_text=True), "SUM")
    assert staff.role is Role.STAFF


def make_customer_for(user):
    from tests.factories import make_customer

    return make_customer(user.reseller, name="-2+3", code="+SUM")
