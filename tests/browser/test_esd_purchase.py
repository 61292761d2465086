"""A reseller buys six Windows licenses end to end; staff approve; the pool shows 6 of 6."""
import re
from decimal import Decimal

import pytest

from models import Role, db
from tests.browser import log_in, log_out
from tests.factories import make_category, make_product, make_reseller, make_user, make_vendor

pytestmark = pytest.mark.browser


def test_search_add_to_cart_checkout_approve(page):
    buyer = make_user(Role.RESELLER, reseller=make_reseller(name="Andes Software S.A."), email="ana@andes.test")
    staff = make_user(Role.STAFF, email="staff@distri.test")
    microsoft, esd = make_vendor("Microsoft"), make_category("ESD")
    make_product(name="Windows 11 Pro", sku="KW9-00632", vendor=microsoft, category=esd, price=Decimal("199.00"))
    make_product(name="Office Home 2024", vendor=microsoft, category=esd, price=Decimal("249.00"))
    db.session.commit()

    log_in(page, buyer)
    page.goto("/catalog/")  # a full load: htmx is listening before we type
    page.get_by_role("searchbox", name="Search products").fill("windows")
    card = page.locator("article.product-card", has_text="Windows 11 Pro")
    card.wait_for()
    page.wait_for_url(re.compile(r"/catalog/\?q=windows$"))
    assert page.locator("article.product-card").count() == 1  # Office is filtered out

    card.get_by_label("Quantity").fill("6")
    card.get_by_role("button", name="Add to cart").click()
    card.get_by_text("Added 6. You have 6 in your cart.").wait_for()
    assert page.locator("#cart-badge").inner_text() == "Cart 6"  # updated without a reload

    page.locator("#cart-badge").click()
    page.get_by_role("heading", name="Your cart").wait_for()
    page.get_by_role("button", name="Checkout").click()

    page.wait_for_url("**/checkout/details")
    assert page.get_by_label("Confirmation e-mail").input_value() == "ana@andes.test"
    page.get_by_label("Confirmation e-mail").fill("not an e-mail")
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("Enter a valid e-mail address.").wait_for()
    page.get_by_label("Confirmation e-mail").fill("compras@andes.test")
    page.get_by_label("Description (optional)").fill("PO-1234")
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url("**/checkout/delivery")
    page.go_back()  # back works: the details step, with what was saved
    page.wait_for_url("**/checkout/details")
    assert page.get_by_label("Description (optional)").input_value() == "PO-1234"
    page.go_forward()
    page.wait_for_url("**/checkout/delivery")
    page.get_by_label("Electronic delivery").check()
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url("**/checkout/amount")
    assert page.locator("#order-total").inner_text() == "$1,194.00"
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url("**/checkout/review")
    for text in ("compras@andes.test", "PO-1234", "Electronic delivery", "On account"):
        assert page.get_by_text(text, exact=True).first.is_visible()
    page.get_by_role("button", name="Confirm order").click()

    page.get_by_role("heading", name=re.compile(r"Order \d+ was placed")).wait_for()
    page.get_by_role("link", name="ESD licenses").click()
    row = page.locator("tr", has_text="Windows 11 Pro × 6")
    assert row.locator(".availability").inner_text() == "0 of 6"
    assert row.get_by_text("Pending").is_visible()
    assert page.locator("#cart-badge").inner_text() == "Cart 0"
    log_out(page)

    log_in(page, staff)
    page.goto("/admin/")
    page.locator("#approvals-count").click()
    page.wait_for_url("**/admin/approvals")
    approval = page.locator("tr", has_text="Andes Software S.A.")
    assert approval.get_by_text("PO-1234").is_visible()
    approval.get_by_role("button", name="Approve").click()  # issuing keys cannot be undone: the dialog asks first
    dialog = page.get_by_role("dialog")
    assert "issues its license keys" in dialog.inner_text()
    dialog.get_by_role("button", name="Yes, approve and issue the keys").click()
    page.get_by_text(re.compile(r"approved: 6 license keys issued")).wait_for()
    page.get_by_text("No orders are waiting for approval.").wait_for()
    log_out(page)

    log_in(page, buyer)
    page.goto("/licenses/")
    row = page.locator("tr", has_text="Windows 11 Pro × 6")
    assert row.locator(".availability").inner_text() == "6 of 6"
    assert row.get_by_text("Done").is_visible()
    row.get_by_role("button", name="Manage").click()
    page.get_by_role("heading", name=re.compile(r"Order \d+")).wait_for()
    assert page.locator("table.licenses code").count() == 6
