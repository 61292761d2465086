"""No page writes an error to the browser console: no script error, no refused inline code (CSP), no missing
file (the favicon included), for a reseller and for staff on the main pages (issue 23)."""
import pytest

from models import Role, db
from tests.browser import log_in
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.browser

RESELLER_PAGES = ["/", "/catalog/", "/catalog/?q=Ofice", "/cart/", "/licenses/", "/customers/", "/customers/new",
                  "/customers/{customer}", "/imports/", "/preferences", "/password", "/team/"]
STAFF_PAGES = ["/", "/admin/", "/admin/approvals", "/admin/resellers/", "/admin/imports/", "/admin/outbox/",
               "/admin/audit/", "/admin/catalog/", "/admin/catalog/products/new", "/admin/orders/"]


def console_errors_on(page, paths):
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(f"{page.url}: {message.text}"))
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error}"))
    for path in paths:
        response = page.goto(path)
        assert response.status < 400, f"{path}: {response.status}"
        page.wait_for_load_state("networkidle")
    return errors


def test_the_resellers_pages_write_no_console_error(page):
    user = make_user(Role.RESELLER)
    customer = make_customer(user.reseller)
    db.session.commit()
    log_in(page, user)
    assert console_errors_on(page, [p.format(customer=customer.id) for p in RESELLER_PAGES]) == []


def test_the_staff_pages_write_no_console_error(page):
    staff = make_user(Role.STAFF)
    db.session.commit()
    log_in(page, staff)
    assert console_errors_on(page, STAFF_PAGES) == []


def test_the_language_switch_sets_html_lang_and_the_skip_link_reaches_main(page):
    user = make_user(Role.RESELLER, locale="en")
    db.session.commit()
    log_in(page, user)
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("button", name="ES").click()
    page.get_by_role("button", name="EN").wait_for()
    assert page.locator("html").get_attribute("lang") == "es"  # a whole page: <html> is not kept from before
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    assert skip.evaluate("link => link === document.activeElement")  # the first stop, then it is visible
    skip.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
