"""In Chromium: My imports' poll answered 304 swaps nothing (the expanded row and the focus stay), a change shows
and ends the polling, and the expanded row links to the import's page with all its items."""
from datetime import timedelta
from itertools import pairwise

import pytest

from models import ImportStatus, db, utcnow
from tests.browser import log_in
from tests.provisioning import cloud_setup, schedule

pytestmark = pytest.mark.browser


def open_a_pending_import(page):
    """My imports with a pending import, its items opened: the import and its row."""
    user, customer, product = cloud_setup()
    imp = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=3))
    log_in(page, user)
    page.goto("/imports/")
    row = page.locator(f"#import-{imp.id}")
    row.get_by_text("Pending").wait_for()
    row.get_by_role("button", name=imp.name).click()
    page.locator(f"#import-{imp.id}-items.open").get_by_text(customer.code).wait_for()
    return imp, row


def test_an_unchanged_poll_keeps_the_page_and_a_change_shows(page):
    imp, row = open_a_pending_import(page)
    items = page.locator(".items-row.open")
    page.locator(f"#import-{imp.id}-toggle").focus()
    with page.expect_response(lambda r: "/imports/?" in r.url and r.status == 304, timeout=15000):
        pass
    assert items.get_by_text("1 of 1 item").is_visible()  # nothing was swapped out
    assert page.evaluate("document.activeElement.id") == f"import-{imp.id}-toggle"

    imp.status = ImportStatus.CANCELLED
    db.session.commit()
    row.get_by_text("Cancelled").wait_for(timeout=15000)  # polls spaced out to 8 s at most
    assert page.locator("#imports-table").get_attribute("hx-trigger") is None  # 286: no more polling
    page.locator(".items-row.open").get_by_role("link", name="See the import").click()
    page.get_by_role("heading", name=f"Items of {imp.name}").wait_for()
    page.get_by_label("Items").select_option(label="Completed (0)")
    page.get_by_text("No items with this status.").wait_for()
    assert "status=COMPLETED" in page.url


# Each poll of the table with the row open (?open=; a poll sent before it opened may still be answered) as
# static/canal.js leaves it: its answer's status, the region's level and the polls it skips.
RECORD_POLLS = """document.addEventListener("htmx:afterRequest", function (event) {
  var elt = event.detail.elt;
  if (elt.id === "imports-table" && event.detail.xhr.responseURL.indexOf("open=") !== -1)
    (window.polls = window.polls || []).push([event.detail.xhr.status, elt.canalLevel, elt.canalSkip]);
});"""


def test_a_poll_where_only_an_import_moved_swaps_its_rows_alone(page):
    imp, row = open_a_pending_import(page)
    page.evaluate(RECORD_POLLS)
    for _ in range(2):  # the table as it is now, open row included, is the version the poll names (twice: level 2)
        with page.expect_response(lambda r: "/imports/?" in r.url and r.status == 304, timeout=15000):
            pass
    page.evaluate("document.getElementById('imports-table').canalMark = 'kept'")
    page.locator(f"#import-{imp.id}-toggle").focus()

    with page.expect_response(lambda r: "/imports/?" in r.url and r.status == 200, timeout=20000) as moved:
        imp.completed_count = 5  # still pending: the same rows, one of them says something else
        db.session.commit()
    assert moved.value.headers.get("hx-reswap") == "none"
    row.locator("td.num").first.get_by_text("5").wait_for()
    assert page.evaluate("document.getElementById('imports-table').canalMark") == "kept"  # the table stayed
    assert page.locator(f"#import-{imp.id}-items.open").get_by_text("1 of 1 item").is_visible()
    assert page.evaluate("document.activeElement.id") == f"import-{imp.id}-toggle"
    with page.expect_response(lambda r: "/imports/?" in r.url, timeout=15000) as next_poll:
        pass
    assert next_poll.value.status == 304  # the poll names the version it was given

    # Polls space out while nothing changes (2, 2, 4, 8 s: a 304 moves the level up) and come closer as the import
    # moves (the moved rows move it down), as bench/polling.py's next_poll measures.
    polls = page.evaluate("window.polls")
    assert [status for status, _level, _skip in polls].count(200) == 1
    for (_status, before, _skip), (status, level, skip) in pairwise(polls):
        assert level == (min(before + 1, 3) if status == 304 else max(before - 1, 0))
        assert skip == (2 ** (level - 1) - 1 if level > 1 else 0)
