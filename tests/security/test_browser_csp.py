"""In Chromium, under the real headers: htmx 2 and our pages run with no CSP violation at all."""
import pytest
from playwright.sync_api import expect

from models import Role, db
from tests.browser import log_out
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_LIMIT_PER_ACCOUNT": "4 per minute"}


@pytest.fixture
def watched(page):
    """The page, recording CSP violations (events and console messages) across navigations."""
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.add_init_script(COLLECT_VIOLATIONS)
    page.console = console
    return page


def violations(page) -> list[str]:
    events = page.evaluate("window.__csp || []")
    refused = [m for m in page.console if "Content Security Policy" in m or "Refused to" in m]
    return events + refused


def log_in(page, email, password=PASSWORD) -> int:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_response(lambda r: r.request.method == "POST" and "/login" in r.url) as response:
        page.get_by_role("button", name="Log in").click()
    if response.value.status == 422:
        # htmx focuses the form's autofocus field once the swap settles: type only after that.
        expect(page.get_by_label("Password")).to_be_focused()
    return response.value.status


def test_login_home_and_change_password_without_violations(watched):
    page = watched
    user = make_user(Role.RESELLER)
    db.session.commit()
    page.goto("/login")
    assert log_in(page, user.email, "wrong password") == 422  # swapped in by htmx
    page.get_by_text("Invalid e-mail or password.").wait_for()
    assert violations(page) == []
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name=f"Welcome, {user.name}").wait_for()
    assert violations(page) == []
    page.get_by_role("link", name="Change password").click()  # boosted navigation
    page.get_by_role("heading", name="Change password").wait_for()
    expect(page.get_by_label("Current password")).to_be_focused()  # autofocus, once the swap settled
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill("new password 123")
    page.get_by_label("New password, again").fill("new password 124")
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("The two new passwords are not the same.").wait_for()
    expect(page.get_by_label("Current password")).to_be_focused()  # the swap has settled
    page.get_by_label("Current password").fill(PASSWORD)  # password fields come back empty
    page.get_by_label("New password", exact=True).fill("new password 123")
    page.get_by_label("New password, again").fill("new password 123")
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("Your password has been changed.").wait_for()
    log_out(page)
    expect(page.get_by_label("Email")).to_be_focused()  # htmx's autofocus after the swap: type after it
    log_in(page, user.email, "new password 123")
    page.get_by_role("heading", name=f"Welcome, {user.name}").wait_for()
    assert violations(page) == []


def test_too_many_attempts_shows_the_clear_page(watched):
    page = watched
    user = make_user(Role.STAFF)
    db.session.commit()
    page.goto("/login")
    for _ in range(4):
        assert log_in(page, user.email, "wrong password") == 422
    assert log_in(page, user.email, PASSWORD) == 429
    page.get_by_text("Too many attempts. Try again in 1 minute.").wait_for()
    assert violations(page) == []


def test_rq_dashboard_runs_under_its_own_policy(watched):
    page = watched
    user = make_user(Role.OPS)
    db.session.commit()
    page.goto("/login")
    log_in(page, user.email)
    page.get_by_role("heading", name=f"Welcome, {user.name}").wait_for()
    page.goto("/ops/rq/")
    page.locator("#queues tbody tr").first.wait_for()  # filled in by the dashboard's own scripts
    assert violations(page) == []
    # Its actions are CSRF-exempt POSTs that must come from our origin: the browser's own jQuery passes.
    status = page.evaluate("""() => new Promise(done =>
        $.post("/ops/rq/requeue/default").always((data, text, xhr) => done((xhr.status ? xhr : data).status)))""")
    assert status == 200
