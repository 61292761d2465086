"""A reseller creates a customer, assigns 2 licenses, sees "Assigned" and the e-mail go out, resends;
the end customer confirms on the public page."""
import re

import pytest

from models import OrderStatus, Role, db
from tests.browser import log_in, log_out
from tests.factories import make_order, make_product, make_reseller, make_user
from tests.support import mail_text, run_jobs

pytestmark = pytest.mark.browser


def test_create_customer_assign_email_resend_activate(page, smtp):
    from tests.factories import PASSWORD

    buyer = make_user(Role.RESELLER, reseller=make_reseller(name="Andes Software S.A."), email="ana@andes.test")
    order = make_order(buyer, lines=[(make_product(name="Windows 11 Pro", sku="KW9-00632"), 6)],
                       status=OrderStatus.APPROVED)
    db.session.commit()

    log_in(page, buyer, PASSWORD)
    page.goto("/licenses/")
    page.get_by_role("button", name="Manage customers").click()
    page.get_by_role("button", name="New customer").click()
    page.get_by_label("Code (internal)").fill("ACME")
    page.get_by_label("Name (legal name)").fill("Acme <b>Ltda</b>")
    page.get_by_label("Email").fill("it@acme.test")
    page.get_by_role("button", name="Save customer").click()
    page.get_by_role("heading", name="Acme <b>Ltda</b>").wait_for()  # shown as typed, never as markup
    page.get_by_text("No licenses have been assigned to this customer yet.").wait_for()

    page.goto(f"/licenses/orders/{order.id}")
    page.get_by_label("Quantity to assign").fill("9")
    page.locator("#customer_id").select_option(label="ACME · Acme <b>Ltda</b>")
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_text("Only 6 licenses are available.").wait_for()
    page.get_by_label("Quantity to assign").fill("2")
    page.locator("#customer_id").select_option(label="ACME · Acme <b>Ltda</b>")
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_text(re.compile(r"2 licenses assigned to Acme <b>Ltda</b>")).wait_for()
    assert page.locator("#availability").inner_text() == "4 of 6"
    row = page.locator("table.assignments tbody tr").first
    assert row.get_by_text("Assigned", exact=True).is_visible()
    row.get_by_text("Queued").wait_for()

    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert message["To"] == "it@acme.test"
    keys = re.findall(r"KEY-\d+-\d+", mail_text(message))
    assert len(keys) == 2
    row.get_by_text("Sent").wait_for()  # the row polled itself up to date

    row.get_by_role("button", name="Resend to customer").click()  # the first e-mail is under a minute old: it asks
    dialog = page.get_by_role("dialog")
    assert "less than a minute ago. Send another?" in dialog.inner_text()
    dialog.get_by_role("button", name="Yes, send another").click()
    page.get_by_text("The activation e-mail was queued again for it@acme.test.").wait_for()
    run_jobs("mail")
    assert len(smtp.wait_for_messages(2)) == 2
    page.locator("table.assignments tbody tr").first.get_by_text("Sent").nth(1).wait_for()

    link = re.search(r"http://canal\.test(/activate/\S+)", mail_text(message))[1]
    log_out(page)
    page.goto(link)
    assert all(page.get_by_text(key).is_visible() for key in keys)
    # The public page speaks the customer's language (a new customer's default is Spanish).
    page.get_by_role("button", name="Confirmar activación").click()
    page.get_by_text(re.compile("Activación confirmada el")).wait_for()

    log_in(page, buyer, PASSWORD)
    page.goto(f"/licenses/orders/{order.id}")
    page.locator("table.assignments").get_by_text("Activated", exact=True).wait_for()
