"""In Chromium: provision now, see the window, add seats, remove them, schedule a change, cancel within the window
(the scheduled change is shown and cancelled on request), see the credit and the timeline."""
import pytest
import sqlalchemy as sa

from models import Subscription, SubscriptionStatus, db
from services.subscriptions import actions
from tests.browser import log_in
from tests.provisioning import cloud_setup, schedule
from tests.support import run_jobs

pytestmark = pytest.mark.browser


def confirm_in_dialog(page, question: str, yes: str) -> None:
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(question).wait_for()
    dialog.get_by_role("button", name=yes).click()


def change_seats(page, quantity: int, question: str, yes: str) -> None:
    page.get_by_label("New quantity").fill(str(quantity))
    page.get_by_role("button", name="Change seats…").click()
    page.get_by_role("heading", name="Change seats:").wait_for()
    page.get_by_role("button", name="Confirm").click()
    confirm_in_dialog(page, question, yes)
    page.get_by_text("Done: Change quantity").wait_for()


def test_the_lifecycle_of_a_subscription(page):
    user, customer, product = cloud_setup(name="(NCE) Microsoft 365 Business Basic", price=7.20)
    schedule(user, customer, product, run_at=None, quantity=3, billing_type="P1Y-monthly")  # Provision now
    run_jobs("default")
    sub = db.session.scalar(sa.select(Subscription))
    log_in(page, user)

    page.goto(f"/subscriptions/{sub.id}")
    page.locator("#cancellation-window").get_by_text("Cancellable until").wait_for()
    assert "(167 h left)" in page.locator("#cancellation-window").inner_text()

    change_seats(page, 5, "Add 2 seats for", "Yes, add them")
    assert page.locator("#subscription-details").get_by_text("5", exact=True).count() >= 1
    page.locator(".seat-windows").get_by_text("2 seats added on").wait_for()

    change_seats(page, 3, "Remove 2 seats, with a credit of", "Yes, remove them")
    page.locator("#timeline").get_by_text("Seats removed").wait_for()

    page.get_by_role("button", name="Schedule a change…").click()
    page.get_by_role("heading", name="Schedule a change:").wait_for()
    page.get_by_label("New quantity").fill("6")
    page.get_by_role("button", name="Review").click()
    page.locator("#schedule-review").wait_for()
    page.get_by_role("button", name="Confirm and schedule").click()
    confirm_in_dialog(page, "Schedule this change?", "Yes, schedule it")
    page.get_by_text("The change is scheduled").wait_for()
    assert len(actions.scheduled_changes(sub.id)) == 1

    page.get_by_role("button", name="Cancel subscription…").click()
    page.get_by_role("heading", name="Cancel subscription:").wait_for()
    credit = page.locator("#money-consequence").inner_text()
    assert "You are credited $" in credit
    page.locator("#scheduled-changes").get_by_text("Change quantity").wait_for()  # the conflict, shown
    page.get_by_label("Cancel them").check()
    page.get_by_role("button", name="Confirm").click()
    confirm_in_dialog(page, "with a credit of", "Yes, cancel it")
    page.get_by_text("Done: Cancel").wait_for()

    timeline = page.locator("#timeline").inner_text()
    for event in ("Provisioned", "Seats added", "Seats removed", "Change scheduled", "Cancelled", "Credit: $"):
        assert event in timeline
    db.session.expire_all()
    assert db.session.get(Subscription, sub.id).status is SubscriptionStatus.CANCELLED
    assert actions.scheduled_changes(sub.id) == []
