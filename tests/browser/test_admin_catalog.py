"""Staff in a real browser: approve an order from the dashboard; change a price that resellers then see."""
import re
from decimal import Decimal

import pytest

from models import License, LicenseStatus, OrderStatus, Role, db
from services.catalog import catalog_admin
from tests.browser import log_in, log_out
from tests.factories import make_category, make_order, make_product, make_reseller, make_user, make_vendor

pytestmark = pytest.mark.browser

# CSP violations (an inline style in the SVG would be one) are collected across navigations.
COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) { window.__csp.push(e.violatedDirective); });
"""


def test_approve_an_order_from_the_dashboard(page):
    staff = make_user(Role.STAFF)
    buyer = make_user(reseller=make_reseller(name="Andes Software S.A."))
    order = make_order(buyer, lines=[(make_product(name="Windows 11 Pro"), 3)], description="PO-77")
    db.session.commit()
    page.add_init_script(COLLECT_VIOLATIONS)
    log_in(page, staff)

    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("heading", name="Orders and licenses per week").wait_for()
    assert page.evaluate("window.__csp") == []
    chart = page.locator("svg#weekly-chart")
    assert chart.is_visible() and chart.locator("circle.chart-point").count() == 13
    assert page.locator("#approvals-count").inner_text() == "1"

    page.locator("#approvals-count").click()
    page.wait_for_url("**/admin/approvals")
    row = page.locator("tr", has_text="Andes Software S.A.")
    assert row.get_by_text("PO-77").is_visible()
    row.get_by_role("button", name="Approve").click()  # it issues keys: the shared dialog asks first
    page.get_by_role("dialog").get_by_role("button", name="Yes, approve and issue the keys").click()
    page.get_by_text(f"Order {order.number} approved: 3 license keys issued.").wait_for()

    page.get_by_role("link", name="Admin", exact=True).first.click()
    page.wait_for_url(re.compile(r"/admin/$"))
    assert page.locator("#approvals-count").inner_text() == "0"
    db.session.expire_all()
    assert order.status is OrderStatus.APPROVED
    assert {lic.status for line in order.lines for lic in _licenses(line)} == {LicenseStatus.AVAILABLE}


def _licenses(line):
    return db.session.scalars(db.select(License).where(License.order_line_id == line.id)).all()


def test_edit_a_price_and_the_reseller_catalog_shows_it(page):
    staff = make_user(Role.STAFF)
    buyer = make_user(reseller=make_reseller(currency="USD"))
    product = make_product(name="Office Home 2024", vendor=make_vendor("Microsoft"), category=make_category("ESD"),
                           price=Decimal("249.00"))
    db.session.commit()
    log_in(page, staff)

    page.get_by_role("link", name="Admin", exact=True).click()
    page.get_by_role("link", name="Catalog").click()
    page.wait_for_load_state()  # htmx has bound the search box (on load), so typing searches; a click on Search
    page.get_by_role("searchbox").fill("office")  # too would send a second search that could land after the next click
    page.wait_for_url(re.compile(r"/admin/catalog/\?q=office$"))
    page.get_by_role("link", name="Office Home 2024").click()
    page.get_by_role("heading", name="Edit Office Home 2024").wait_for()

    page.get_by_label("Reseller price", exact=True).fill("-3")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Number must be at least 0.").wait_for()  # 422: the form comes back with the error
    assert page.get_by_label("Reseller price", exact=True).input_value() == "-3"

    page.get_by_label("Reseller price", exact=True).fill("229.90")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Product saved.").wait_for()
    history = page.locator("#price-history tbody tr")
    newest = history.first.inner_text()
    assert history.count() == 2 and "$229.90" in newest and staff.email in newest
    db.session.expire_all()
    assert product.price == Decimal("229.90")
    assert catalog_admin.price_on(product, product.created_at) == Decimal("249.00")

    log_out(page)
    log_in(page, buyer)
    page.goto("/catalog/?q=office")
    card = page.locator("article.product-card", has_text="Office Home 2024")
    assert card.locator(".price").inner_text() == "$229.90"
