"""Staff in a real browser: suspend a reseller (with its confirmation), then log in as one of its users."""
import pytest

from models import OrderStatus, ResellerStatus, Role, db
from tests.browser import log_in
from tests.factories import make_order, make_product, make_reseller, make_user

pytestmark = pytest.mark.browser


def test_suspend_a_reseller_then_log_in_as_its_user_and_back(page):
    staff = make_user(Role.STAFF, name="Sofía Staff")
    reseller = make_reseller(name="Andes Software SA")
    user = make_user(Role.RESELLER, reseller=reseller, name="Rita Reseller")
    db.session.commit()
    log_in(page, staff)

    page.get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="Resellers").click()
    page.get_by_role("link", name="Andes Software SA").click()
    page.get_by_role("heading", name="Andes Software SA").wait_for()

    page.get_by_role("button", name="Suspend").click()  # the shared styled dialog asks; "No": nothing happens
    dialog = page.get_by_role("dialog")
    assert dialog.inner_text().startswith("Suspend Andes Software SA?")
    dialog.get_by_role("button", name="No").click()
    page.wait_for_timeout(300)  # room for a request that must not happen
    db.session.refresh(reseller)
    assert reseller.status is ResellerStatus.ACTIVE

    page.get_by_role("button", name="Suspend").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, suspend").click()
    page.get_by_text("Andes Software SA is suspended.").wait_for()
    page.get_by_role("button", name="Reactivate").wait_for()
    db.session.refresh(reseller)
    assert reseller.status is ResellerStatus.SUSPENDED

    page.get_by_role("button", name="Log in as").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, log in as them").click()
    banner = page.get_by_role("alert").filter(has_text="on behalf of")
    banner.wait_for()
    assert f"You are logged in as {user.email} on behalf of {staff.email}" in banner.inner_text()
    page.get_by_role("heading", name="Welcome, Rita Reseller").wait_for()

    banner.get_by_role("button", name="Stop").click()
    page.get_by_text(f"You are back as {staff.email}.").wait_for()
    page.get_by_role("heading", name="Andes Software SA").wait_for()
    assert page.get_by_text("on behalf of").count() == 0


def test_approving_asks_first_in_the_shared_dialog_because_it_issues_keys(page):
    staff = make_user(Role.STAFF)
    order = make_order(make_user(Role.RESELLER, reseller=make_reseller(name="Andes Software SA")),
                       lines=[(make_product(name="Windows 11 Pro"), 3)])
    db.session.commit()
    log_in(page, staff)
    page.goto(f"/admin/approvals/{order.id}")
    page.get_by_role("button", name="Approve and issue 3 license keys").click()
    dialog = page.get_by_role("dialog")
    assert "issues 3 license keys" in dialog.inner_text()
    dialog.get_by_role("button", name="No").click()
    page.wait_for_timeout(300)  # room for a request that must not happen
    db.session.refresh(order)
    assert order.status is OrderStatus.PENDING
    page.get_by_role("button", name="Approve and issue 3 license keys").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, approve and issue the keys").click()
    page.get_by_text(f"Order {order.number} approved").wait_for()
    db.session.refresh(order)
    assert order.status is OrderStatus.APPROVED
