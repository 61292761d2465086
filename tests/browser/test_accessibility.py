"""Accessibility (issue 23, section 6): axe-core (bundled by axe-playwright-python) finds no serious or critical
violation on any GET page a reseller user, staff or ops can open, at a laptop's and a phone's width, nor on the
pages anyone can open (log in, set a password, activate licenses); forms work with the keyboard alone; an htmx swap
moves the focus to what changed and its result is read out by the live region #announcer (static/canal.js).

The pages are those of tests.browser.pages_of (it walks the URL map); the crawl checks each one it loads for both
axe and tests/browser/test_page_widths.py's subject (nothing wider than the screen), so that every page is loaded
once per width, not twice; each width is a test of its own."""
from __future__ import annotations

import json
import re

import pytest
from axe_playwright_python.sync_playwright import DEFAULT_OPTIONS, Axe
from playwright.sync_api import expect

from models import OrderStatus, Role, db
from services.accounts import accounts
from services.orders import cart
from tests.browser import WIDER_THAN_THE_SCREEN, log_in, pages_of
from tests.factories import PASSWORD, make_order, make_product, make_user
from tests.isolation.world import reseller_a_world

pytestmark = pytest.mark.browser

AXE = Axe()
RUN_AXE = f"axe.run({json.dumps(DEFAULT_OPTIONS)})"  # what Axe().run(page) evaluates once it has injected axe-core
BLOCKING = ("serious", "critical")
WIDTHS = (1366, 390)


def axe_in_every_page(page) -> None:
    """axe-core loaded into every document the page opens from now on: cheaper than Axe().run's injection of it
    after each load (the browser compiles the same script once)."""
    page.context.add_init_script(AXE.axe_script)


def blocking_violations(page, where: str) -> list[str]:
    """axe's serious and critical violations on the page, one line each: where, rule, impact, what to fix, elements."""
    if not page.locator("#page").count():  # a fragment htmx asks for, opened alone: not a page
        return []
    if not page.evaluate("typeof axe === 'object'"):  # no axe_in_every_page
        page.evaluate(AXE.axe_script)
    found = []
    for violation in page.evaluate(RUN_AXE)["violations"]:
        if violation["impact"] in BLOCKING:
            targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:4])
            found.append(f"{where}: {violation['id']} ({violation['impact']}) {violation['help']}: {targets}")
    return found


def expect_announced(page, text) -> None:
    """What #announcer, the live region in a closed shadow root (static/canal.js), read out last."""
    expect(page.locator("#announcer")).to_have_attribute("data-announced", text)


def visit(page, url: str, width: int) -> list[str]:
    response = page.goto(url)
    if response is not None and response.status >= 500:
        return [f"{url} at {width} px: answered {response.status}"]
    return blocking_violations(page, f"{url} at {width} px")


def too_wide(page, url: str, width: int) -> list[str]:
    problem = page.evaluate(WIDER_THAN_THE_SCREEN)
    return [f"{url} at {width} px: {problem}"] if problem else []


@pytest.mark.parametrize("width", WIDTHS)  # one test per width: the workers share the crawl
@pytest.mark.parametrize("role", ["reseller", "staff", "ops"])
def test_no_page_is_wider_than_the_screen_nor_has_a_serious_or_critical_violation(app, page, role, width):
    world = reseller_a_world()
    user = world["user"] if role == "reseller" else make_user(Role(role))
    db.session.commit()
    urls, _unknown = pages_of(app, role, world)  # test_every_page_can_be_filled (test_page_widths) checks _unknown
    assert len(urls) >= {"reseller": 20, "staff": 15, "ops": 2}[role]
    log_in(page, user)
    axe_in_every_page(page)
    violations, wide = [], []
    page.set_viewport_size({"width": width, "height": 900})
    for url in urls:
        violations += visit(page, url, width)
        wide += too_wide(page, url, width)
    assert not (violations or wide), "\n".join(
        (["pages wider than the screen:", *wide] if wide else [])
        + (["accessibility violations:", *violations] if violations else []))


def test_the_public_pages_have_no_serious_or_critical_violation(app, page):
    world = reseller_a_world()
    invited = make_user(name="Invited")
    with app.test_request_context():
        set_password = accounts.password_link(invited).partition("/set-password/")[2]
    db.session.commit()
    axe_in_every_page(page)
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for url in ("/login", f"/set-password/{set_password}", f"/activate/{world['assignment'].token}",
                    "/set-password/not-a-valid-link"):
            problems += visit(page, url, width)
        page.goto("/login")
        page.get_by_label("Email").fill(world["user"].email)
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Log in").click()
        page.get_by_text("Invalid e-mail or password.").wait_for()
        problems += blocking_violations(page, f"/login refused at {width} px")
    assert not problems, "accessibility violations:\n" + "\n".join(problems)


def test_forms_are_usable_with_the_keyboard_alone(page):
    """Log in, then create a customer after a refused first try, pressing only keys; errors get the focus."""
    user = make_user()
    db.session.commit()
    page.goto("/login")
    expect(page.get_by_label("Email")).to_be_focused()  # autofocus
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Log out").wait_for()
    expect_announced(page, re.compile("· Canal"))  # the new page's title is read out
    page.goto("/customers/new")
    expect(page.get_by_label("Code (internal)")).to_be_focused()  # autofocus
    page.keyboard.type("KB-1")
    page.keyboard.press("Enter")  # no name nor e-mail: refused; the first field in error gets the focus
    name = page.get_by_label("Name (legal name)")
    expect(name).to_be_focused()
    expect(name).to_have_attribute("aria-invalid", "true")
    expect_announced(page, re.compile(re.escape(page.locator("#name-error").inner_text())))  # its errors are read out
    assert blocking_violations(page, "/customers/new refused") == []
    page.keyboard.type("Keyboard Customer")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("kb@example.com")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Keyboard Customer")).to_be_visible()
    expect(page.locator("#main")).to_be_focused()  # the new page's content, not the top of the document


def add_to_cart_page(page):
    user = make_user()
    product = make_product(name="Keyboard Suite", max_quantity=5)
    db.session.commit()
    log_in(page, user)
    page.goto(f"/catalog/products/{product.id}")
    return product


def test_add_to_cart_keeps_the_focus_on_the_button_and_announces_the_result(page):
    product = add_to_cart_page(page)
    button = page.locator(f"#buy-{product.id}").get_by_role("button", name="Add to cart")
    button.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#buy-{product.id} .added")).to_be_visible()
    expect(button).to_be_focused()  # the new box's button: Enter again adds one more
    expect_announced(page, "Added 1. You have 1 in your cart. View cart.")
    page.keyboard.press("Enter")
    expect_announced(page, "Added 1. You have 2 in your cart. View cart.")
    expect(page.locator("#cart-badge")).to_contain_text("2")


def test_a_refused_quantity_takes_the_focus_and_its_error_is_announced(page):
    product = add_to_cart_page(page)
    quantity = page.get_by_label("Quantity")
    quantity.fill("4")
    quantity.press("Enter")
    expect(page.locator(f"#buy-{product.id} .added")).to_be_visible()
    quantity.fill("4")  # 8 in the cart would be more than 5 per order
    page.locator(f"#buy-{product.id}").get_by_role("button", name="Add to cart").focus()
    page.keyboard.press("Enter")
    expect(quantity).to_have_attribute("aria-invalid", "true")
    expect(quantity).to_be_focused()
    error = page.locator(f"#qty-{product.id}-error").inner_text()
    assert error
    expect_announced(page, error)


def test_search_results_are_announced_not_read_whole(page):
    """Search as you type swaps the results under the box: the focus stays in the box, the count is read out."""
    user = make_user()
    make_product(name="Announced Office Suite")
    make_product(name="Quiet Antivirus")
    db.session.commit()
    log_in(page, user)
    page.goto("/catalog/")
    box = page.get_by_label("Search products")
    box.focus()
    page.keyboard.type("Announced")
    expect_announced(page, "1 product · matching “Announced”.")
    expect(box).to_be_focused()
    assert page.locator("#results[aria-live]").count() == 0  # the whole list is not a live region
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("qqqqqqqqqq")
    expect_announced(page, "No products match “qqqqqqqqqq”.")


def test_a_cart_line_keeps_the_focus_on_its_own_button_after_the_cart_is_swapped(page):
    user = make_user()
    first, second = (cart.add_to_cart(user, make_product().id, 1) for _ in range(2))
    db.session.commit()
    log_in(page, user)
    page.goto("/cart/")
    update = page.locator(f"#line-{second.id}").get_by_role("button", name="Update")
    page.locator(f"#quantity-{second.id}").fill("3")
    update.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#line-{second.id} td.num").last).to_contain_text("300")  # 3 × 100.00, swapped in
    expect(update).to_be_focused()  # this line's button in the new cart, not the first line's
    page.locator(f"#line-{first.id}").get_by_role("button", name=re.compile("Remove")).focus()
    page.keyboard.press("Enter")
    expect(page.locator(f"#line-{first.id}")).to_have_count(0)
    expect(page.locator("#cart")).to_be_focused()  # the control is gone: the cart it was in


def test_the_confirmation_dialog_works_with_the_keyboard(page):
    """The dialog opens on "No" (Escape and Enter there decline), passes axe, and Tab then Enter says yes."""
    staff = make_user(Role.STAFF)
    order = make_order(make_user(), lines=[(make_product(), 2)])
    db.session.commit()
    log_in(page, staff)
    page.goto("/admin/approvals")
    approve = page.locator(f"#approval-{order.id}").get_by_role("button", name="Approve")
    approve.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="No")).to_be_focused()
    assert blocking_violations(page, "/admin/approvals with the confirmation open") == []
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(approve).to_be_focused()  # back where the question was asked
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Yes, approve and issue the keys")).to_be_focused()
    page.keyboard.press("Enter")
    expect_announced(page, re.compile(f"Order {order.number} approved"))
    db.session.expire_all()
    assert order.status is OrderStatus.APPROVED


def test_a_table_that_scrolls_on_a_phone_can_be_reached_with_the_keyboard(page):
    world = reseller_a_world()
    db.session.commit()
    log_in(page, world["user"])
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"/billing/statements/{world['statement'].id}")
    table = page.locator("table.charges")
    expect(table).to_have_attribute("tabindex", "0")  # wider than the phone: it scrolls in its own box
    page.set_viewport_size({"width": 1366, "height": 800})
    expect(table).not_to_have_attribute("tabindex", "0")  # fits: no stop for the keyboard
