"""In Chromium: New service wizard -> My imports -> Completed (live polling), expand, and cancel with the dialog."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import Import, ImportStatus, TermsAcceptance, db, utcnow
from tests.browser import log_in
from tests.provisioning import TENANT, cloud_setup
from tests.support import run_jobs, wait_for

pytestmark = pytest.mark.browser


def test_wizard_to_my_imports_to_completed(page):
    user, customer, product = cloud_setup(name="(NCE) Microsoft 365 Business Standard")
    db.session.execute(sa.delete(TermsAcceptance))
    db.session.commit()
    log_in(page, user)

    page.goto(f"/customers/{customer.id}")
    page.get_by_role("button", name="New service").click()
    page.get_by_role("searchbox").fill("Business Standard")
    page.wait_for_url("**q=Business*")  # the search's answer has replaced the list: tick the product in it
    page.get_by_label(product.name).check()
    page.get_by_role("button", name="Next").click()

    page.get_by_role("heading", name="Terms and conditions").wait_for()
    page.get_by_role("button", name="Accept").click()
    page.get_by_text("Accept the terms and conditions to continue.").wait_for()  # server-side: must tick
    page.get_by_label("I accept these terms").check()
    page.get_by_role("button", name="Accept").click()

    page.get_by_role("heading", name="Configuration").wait_for()
    assert page.get_by_label("Microsoft tenant id").input_value() == TENANT
    page.get_by_label("Quantity").fill("0")
    page.get_by_role("button", name="Next").click()
    page.get_by_text("Enter a quantity from 1 to 300.").wait_for()
    page.get_by_label("Quantity").fill("4")
    page.get_by_label("Billing type").select_option(label="Monthly, 1-year commitment")
    page.get_by_role("button", name="Next").click()

    page.get_by_role("heading", name="Order review").wait_for()
    assert page.locator("#monthly-total").inner_text() == "$60.00"
    assert page.locator("#commitment-total").inner_text() == "$720.00"
    assert page.get_by_text("7 day cancellation window").is_visible()
    assert page.locator("#preflight .status-fail").count() == 0
    page.get_by_label("Provisioning date and time").fill((utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#run-at-local strong").wait_for()  # the moment read back, in UTC and in the user's zone
    page.get_by_role("button", name="Provision now").click()

    page.get_by_role("heading", name="My imports").wait_for()
    row = page.locator("tr", has_text=product.name).first
    row.get_by_text("Pending").wait_for()
    run_jobs("default")  # the worker runs it; the page, polling every 2 s, shows the result by itself
    row.get_by_text("Completed").wait_for()  # within the polls' 8 s spacing, and however slow the machine is
    wait_for(lambda: "every 2s" not in (page.locator("#imports-table").get_attribute("hx-trigger") or ""))

    row.get_by_role("button", name=product.name).click()
    items = page.locator(".items-row.open")
    items.get_by_text(customer.code).wait_for()
    assert items.get_by_text(product.sku).is_visible()
    imp = db.session.scalar(sa.select(Import))
    db.session.refresh(imp)
    assert imp.status is ImportStatus.COMPLETED and imp.items[0].external_id in items.inner_text()


def test_cancel_asks_in_a_dialog_and_cancels(page):
    user, customer, product = cloud_setup()
    from tests.provisioning import schedule

    imp = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=3))
    log_in(page, user)
    page.goto("/imports/")
    row = page.locator(f"#import-{imp.id}")
    row.get_by_role("button", name="Cancel").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Are you sure you want to cancel the import?").wait_for()
    dialog.get_by_role("button", name="No").click()
    assert page.get_by_role("dialog").count() == 0
    db.session.expire_all()
    assert db.session.get(Import, imp.id).status is ImportStatus.PENDING

    row.get_by_role("button", name="Cancel").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, do it").click()
    page.get_by_text("The import was cancelled.").wait_for()
    page.locator(f"#import-{imp.id}").get_by_text("Cancelled").wait_for()
    db.session.expire_all()
    assert db.session.get(Import, imp.id).status is ImportStatus.CANCELLED
