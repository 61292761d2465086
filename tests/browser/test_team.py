"""Team roles in Chromium, under the real CSP: an admin changes a role after confirming; a viewer sees the catalog
with no buying buttons and a notice saying why, while a buyer of the same reseller has them."""
from decimal import Decimal

import pytest

from models import TeamRole, User, db
from tests.browser import log_in, log_out
from tests.factories import make_product, make_user

pytestmark = pytest.mark.browser


def test_a_viewer_sees_no_buying_buttons_a_buyer_does(page):
    viewer = make_user(team_role=TeamRole.VIEWER)
    buyer = make_user(reseller=viewer.reseller, team_role=TeamRole.BUYER)
    make_product(name="Windows 11 Pro", price=Decimal("199.00"))
    db.session.commit()

    log_in(page, viewer)
    page.goto("/catalog/?q=windows")
    page.get_by_text("Windows 11 Pro").first.wait_for()
    assert page.locator("#read-only-notice").is_visible()
    assert page.get_by_role("button", name="Add to cart").count() == 0  # present in the HTML, not shown
    assert page.get_by_role("button", name="Log out").is_visible()      # their own session is theirs
    log_out(page)

    log_in(page, buyer)
    page.goto("/catalog/?q=windows")
    page.get_by_role("button", name="Add to cart").first.wait_for()
    assert page.locator("#read-only-notice").count() == 0


def test_an_admin_changes_a_role_after_confirming(page):
    admin = make_user(name="Ada")
    buyer = make_user(reseller=admin.reseller, team_role=TeamRole.BUYER, email="bruno@example.com")
    db.session.commit()
    log_in(page, admin)
    page.get_by_role("navigation").get_by_role("link", name="Team").click()
    row = page.locator(f"#member-{buyer.id}")
    row.get_by_label("Role of bruno@example.com").select_option("viewer")
    row.get_by_role("button", name="Change role").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, do it").click()  # the shared styled dialog
    page.get_by_text("bruno@example.com is now Viewer.").wait_for()
    db.session.expire_all()
    assert db.session.get(User, buyer.id).team_role is TeamRole.VIEWER
