"""In Chromium: reloading after a refused form (422) shows the form again, on the page it was sent from, with
what was typed, never "405 · This action is not allowed here" (issue 23). Forms are sent as the app sends them
(hx-boost), and the reload is the browser's own."""
import pytest

from models import Role, db
from tests.assignments.support import assign, setup_pool
from tests.browser import log_in
from tests.factories import make_order, make_reseller, make_user

pytestmark = pytest.mark.browser


def refused_then_reloaded(page, path: str, submit, error: str) -> None:
    """On `path`, the form is sent by `submit` and refused with `error` (a text, or "#id" of the error); the address
    bar stays on `path`, and a reload shows that page again (not a 405, not another page) without the error."""
    shown = (lambda: page.locator(error)) if error.startswith("#") else (lambda: page.get_by_text(error))
    with page.expect_response(lambda r: r.request.method == "POST") as sent:
        submit()
    assert sent.value.status == 422
    shown().first.wait_for()
    assert page.evaluate("location.pathname + location.search") == path  # never the form's POST-only action
    response = page.reload()
    assert response.status == 200, page.content()[:500]
    assert "not allowed here" not in page.content()
    assert shown().count() == 0  # a fresh page: only the values came back


def test_reject_without_a_reason_on_the_approval_page(page):
    staff = make_user(Role.STAFF)
    order = make_order(make_user(reseller=make_reseller()))
    db.session.commit()
    log_in(page, staff)
    path = f"/admin/approvals/{order.id}"
    page.goto(path)
    page.locator("#reason").fill("   ")
    refused_then_reloaded(page, path, lambda: page.get_by_role("button", name="Reject").click(),
                          "Give the reason for the rejection")
    assert page.locator("#reason").input_value() == "   "


def test_assign_too_many_on_the_order_page(page):
    user, order, customer = setup_pool(3, name="Acme Uruguay S.A.", code="ACME")
    log_in(page, user)
    path = f"/licenses/orders/{order.id}"
    page.goto(path)
    page.locator("#quantity").fill("40")
    page.locator("#customer_id").select_option(str(customer.id))
    refused_then_reloaded(page, path, lambda: page.get_by_role("button", name="Assign", exact=True).click(),
                          "#quantity-error")
    assert page.locator("#quantity").input_value() == "40"
    assert page.locator("#customer_id").input_value() == str(customer.id)


def test_send_to_another_address_on_the_order_page(page):
    user, order, customer = setup_pool(3, language="es", country="UY")
    assignment = assign(order, customer, 1, user)
    log_in(page, user)
    path = f"/licenses/orders/{order.id}"
    page.goto(path)
    page.get_by_text("Send to another address").click()
    page.locator(f"#send-to-{assignment.id}").fill("boss@acme")
    refused_then_reloaded(page, path, lambda: page.get_by_role("button", name="Send", exact=True).click(),
                          "Enter a valid e-mail address.")  # English: the viewer's language, not the customer's
    field = page.locator(f"#send-to-{assignment.id}")
    assert field.is_visible() and field.input_value() == "boss@acme"  # its <details> open again


def test_send_invitation_on_a_reseller_page(page):
    staff = make_user(Role.STAFF)
    reseller = make_reseller(name="Andes Software S.A.")
    db.session.commit()
    log_in(page, staff)
    path = f"/admin/resellers/{reseller.id}"
    page.goto(path)
    invite = page.locator("#invite")
    invite.locator("[name=email]").fill("not-an-address")
    invite.locator("[name=name]").fill("Ana Pérez")
    refused_then_reloaded(page, path, lambda: invite.get_by_role("button", name="Send invitation").click(),
                          "valid e-mail address")
    assert invite.locator("[name=email]").input_value() == "not-an-address"
    assert invite.locator("[name=name]").input_value() == "Ana Pérez"


def test_new_customer(page):
    user = make_user()
    db.session.commit()
    log_in(page, user)
    page.goto("/customers/new")
    form = page.locator("#customer-form")
    form.locator("[name=code]").fill("C-77")
    form.locator("[name=name]").fill("Pampa S.A.")
    form.locator("[name=email]").fill("it@pampa.example")
    form.locator("[name=country]").select_option("UY")
    form.locator("[name=domain]").fill("pampa dot example")
    refused_then_reloaded(page, "/customers/new",
                          lambda: form.get_by_role("button", name="Save customer").click(), "Enter a domain")
    assert page.get_by_role("heading", name="New customer").is_visible()  # the form, not the customer list
    values = [form.locator(f"[name={name}]").input_value() for name in ("code", "name", "email", "country", "domain")]
    assert values == ["C-77", "Pampa S.A.", "it@pampa.example", "UY", "pampa dot example"]


def test_what_was_typed_is_forgotten_once_the_form_is_accepted(page, smtp):
    user, order, customer = setup_pool(3)
    assignment = assign(order, customer, 1, user)
    log_in(page, user)
    path = f"/licenses/orders/{order.id}"
    page.goto(path)
    page.get_by_text("Send to another address").click()
    field = page.locator(f"#send-to-{assignment.id}")
    field.fill("boss@acme")
    refused_then_reloaded(page, path, lambda: page.get_by_role("button", name="Send", exact=True).click(),
                          "Enter a valid e-mail address.")
    field.fill("boss@acme.test")
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_text("The activation e-mail was queued for boss@acme.test.").wait_for()
    assert page.evaluate("location.pathname") == path  # the same page again: its draft is gone all the same
    page.reload()
    page.get_by_text("Send to another address").click()
    assert field.input_value() == ""


def test_a_bad_contact_email_on_the_reseller_form(page):
    staff = make_user(Role.STAFF)
    reseller = make_reseller(name="Andes Software S.A.")
    db.session.commit()
    log_in(page, staff)
    path = f"/admin/resellers/{reseller.id}/edit"
    page.goto(path)
    page.locator("[name=contact_email]").fill("soporte@")
    refused_then_reloaded(page, path, lambda: page.get_by_role("button", name="Save").click(), "#contact_email-error")
    assert page.locator("[name=contact_email]").input_value() == "soporte@"


def test_a_bad_contact_email_on_the_team_page(page):
    admin = make_user()
    db.session.commit()
    log_in(page, admin)
    page.goto("/team/")
    form = page.locator("#contact-email")
    form.locator("[name=contact_email]").fill("ayuda at andes")
    refused_then_reloaded(page, "/team/", lambda: form.get_by_role("button", name="Save the contact e-mail").click(),
                          "#contact_email-error")
    assert page.locator("#contact-email [name=contact_email]").input_value() == "ayuda at andes"
