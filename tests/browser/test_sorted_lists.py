"""In Chromium: a staff list sorts by a column header, with the mouse or the keyboard; the sort is in the address,
so a reload and Back keep it, and the header says how the list is sorted (aria-sort)."""
import re

import pytest
from playwright.sync_api import expect

from models import EmailStatus, OutboxEmail, Role, db
from tests.browser import log_in
from tests.factories import make_user

pytestmark = pytest.mark.browser


def subjects(page) -> list[str]:
    return page.locator("#results tbody tr td:nth-child(4)").all_inner_texts()


def test_the_outbox_sorts_by_a_header_and_keeps_it_on_reload_and_back(page):
    staff = make_user(Role.STAFF)
    for subject in ("Mango", "apple", "Zebra"):
        db.session.add(OutboxEmail(to_addr="ana@example.com", subject=subject, body_text="x\n", template="ops_test"))
    db.session.commit()
    log_in(page, staff)
    page.goto("/admin/outbox/")
    assert subjects(page) == ["Zebra", "apple", "Mango"]  # newest first
    header = page.get_by_role("columnheader", name="Subject")
    expect(header).to_have_attribute("aria-sort", "none")
    header.get_by_role("link").focus()
    page.keyboard.press("Enter")  # the keyboard sorts too
    expect(page).to_have_url(re.compile(r"sort=subject"))
    expect(page.get_by_role("columnheader", name="Subject")).to_have_attribute("aria-sort", "ascending")
    assert subjects(page) == ["apple", "Mango", "Zebra"]
    page.get_by_role("columnheader", name="Subject").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"sort=-subject"))
    expect(page.locator("#results tbody tr").first).to_contain_text("Zebra")
    assert subjects(page) == ["Zebra", "Mango", "apple"]
    assert "1–3 of 3" in page.locator(".page-range").inner_text()
    page.reload()
    assert subjects(page) == ["Zebra", "Mango", "apple"]
    page.go_back()
    expect(page).to_have_url(re.compile(r"sort=subject$"))
    expect(page.locator("#results tbody tr").first).to_contain_text("apple")
    assert subjects(page) == ["apple", "Mango", "Zebra"]


def test_a_filter_chosen_after_a_sort_keeps_it(page):
    staff = make_user(Role.STAFF)
    for subject, status in (("Mango", EmailStatus.FAILED), ("apple", EmailStatus.FAILED), ("Zebra", EmailStatus.SENT)):
        db.session.add(OutboxEmail(to_addr="ana@example.com", subject=subject, body_text="x\n", template="ops_test",
                                   status=status))
    db.session.commit()
    log_in(page, staff)
    page.goto("/admin/outbox/?sort=subject")
    page.locator("#status").select_option("FAILED")  # the form swaps the results in (htmx) and pushes the URL
    expect(page).to_have_url(re.compile(r"status=FAILED"))
    expect(page).to_have_url(re.compile(r"sort=subject"))
    expect(page.locator("#results tbody tr")).to_have_count(2)
    assert subjects(page) == ["apple", "Mango"]
