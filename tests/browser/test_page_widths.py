"""No page is wider than the screen (issue 23, section 3): every GET page a role can open, at 390 px (a phone) and
1366 px (a laptop), in Chromium, keeps document.scrollWidth within the viewport. Wide tables scroll inside their
own box instead. That crawl is tests/browser/test_accessibility.py's
test_no_page_is_wider_than_the_screen_nor_has_a_serious_or_critical_violation: it checks both on each page it
loads, rather than loading every page twice more here.

The URL map is walked as the viewer crawl does (tests/team/test_viewer_crawl.py), by tests.browser.pages_of: ids
come from the tenant crawl's FILL (reseller A's objects), the admin ones from ADMIN_FILL in tests/browser/__init__.py.
A new GET page is visited without anything to add here, unless its URL names an object pages_of cannot fill: then
test_every_page_can_be_filled says which (give reseller A's world that object, named as the argument without
"_id", or add the route to FILL / ADMIN_FILL)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models import ImportStatus, Role, db, utcnow
from services import audit
from tests.browser import WIDER_THAN_THE_SCREEN, log_in, log_out, pages_of
from tests.factories import make_user
from tests.isolation.world import reseller_a_world
from tests.provisioning import cloud_setup, schedule

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("role", ["reseller", "staff", "ops"])
def test_every_page_can_be_filled(app, role):
    _urls, unknown = pages_of(app, role, reseller_a_world())
    assert not unknown, "GET pages whose URL this test cannot fill: " + ", ".join(unknown)


def test_the_header_folds_into_a_menu_on_a_phone(page):
    user = make_user()
    db.session.commit()
    log_in(page, user)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/")
    logout = page.get_by_role("button", name="Log out")
    assert not logout.is_visible()
    page.locator("#site-menu > summary").click()
    menu = page.locator("#site-menu")
    assert logout.is_visible() and menu.get_by_role("link", name="Catalog").is_visible()
    menu.get_by_role("link", name="Customers").click()
    page.wait_for_url("**/customers/")
    assert not page.get_by_role("button", name="Log out").is_visible()  # folded again on the next page
    page.set_viewport_size({"width": 1366, "height": 800})
    page.get_by_role("button", name="Log out").wait_for(state="visible", timeout=5_000)  # unfolded on a wide screen


def test_busy_lists_fit_a_laptop_screen_with_one_line_dates(page):
    """My imports, Admin → Imports and the audit log with long names, reasons and details, in a zone that is not
    UTC (the dates are local, UTC beside only the run time): nothing wider than 1366 px, each date on one line."""
    user, customer, product = cloud_setup()
    user.timezone = "America/Montevideo"
    staff = make_user(Role.STAFF, timezone="America/Montevideo")
    for n in range(3):
        imp = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=n + 1))
        imp.name = f"Microsoft 365 Business Premium for Distribuidora Rioplatense de Software S.A. ({n})"
        imp.status = ImportStatus.FAILED
        imp.failure_reason = "Stopped after 3 attempts: the vendor's API did not answer within 30 seconds."
        audit.record(staff, "imports.retry", imp, reason="x" * 80, to="it.department@distribuidora-rioplatense.example")
    db.session.commit()
    for who, urls in ((user, ["/imports/"]), (staff, ["/admin/imports/", "/admin/audit/"])):
        page.context.clear_cookies()  # the next user logs in afresh (/login sends a logged-in user home)
        log_in(page, who)
        for url in urls:
            page.goto(url)
            assert page.evaluate(WIDER_THAN_THE_SCREEN) is None, url
            for cell in page.locator("td time").all()[:6]:  # a date is one line (about 1.5 times the font size)
                box = cell.bounding_box()
                assert box["height"] < 30, (url, cell.inner_text(), box)
        log_out(page)
