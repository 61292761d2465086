import pytest

from models import Role, db
from tests.browser import log_out
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_log_in_and_see_the_home_page(page):
    user = make_user(Role.RESELLER)
    db.session.commit()
    page.goto("/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Invalid e-mail or password.").wait_for()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name=f"Welcome, {user.name}").wait_for()
    assert page.get_by_text(user.reseller.name).is_visible()
    log_out(page)
    assert page.get_by_text("You have been logged out.").is_visible()
