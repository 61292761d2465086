"""My imports over HTTP: columns, order, keyset pages, expandable items, polling that stops, cancel, 404s."""
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from jobs.provisioning import run_due_imports
from models import Import, ImportStatus, db, utcnow
from tests.provisioning import cloud_setup, due_now, schedule
from tests.support import HX, HX_BOOSTED

COLUMNS = ("Import name", "Account type", "Source", "Date created (UTC)", "Import schedule date (UTC)",
           "Imported accounts (No.)", "Status", "Errors (No.)", "Creator")


@pytest.fixture
def setup(login):
    user, customer, product = cloud_setup()
    login(user)
    return user, customer, product


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="import-(\d+)">', html)]


def test_columns_newest_first_and_the_completed_result(client, setup):
    user, customer, product = setup
    done = due_now(user, customer, product)
    run_due_imports()
    later = schedule(user, customer, product, run_at=utcnow() + timedelta(days=2))
    page = client.get("/imports/").text
    for column in COLUMNS:
        assert column in page
    assert row_ids(page) == [later.id, done.id]
    assert "Completed" in page and "Pending" in page and "Scheduled provisioning" in page
    assert user.name in page and later.run_at.strftime("%Y-%m-%d %H:%M UTC") in page


def test_sorting_by_schedule_date_and_keyset_pages(client, setup):
    user, customer, product = setup
    base = utcnow() + timedelta(days=1)
    ids = [schedule(user, customer, product, run_at=base + timedelta(hours=h)).id for h in (5, 1, 3, 2, 4)] + \
          [schedule(user, customer, product, run_at=base + timedelta(hours=h)).id for h in range(6, 18)]
    first = client.get("/imports/?sort=schedule&dir=asc&per_page=10").text
    by_time = sorted(ids, key=lambda i: db.session.get(Import, i).run_at)
    assert row_ids(first) == by_time[:10]
    next_link = re.search(r'href="([^"]*after=[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(next_link).text
    assert row_ids(second) == by_time[10:]
    prev_link = re.search(r'href="([^"]*before=[^"]*)" rel="prev"', second).group(1).replace("&amp;", "&")
    assert row_ids(client.get(prev_link).text) == by_time[:10]
    assert row_ids(client.get("/imports/?sort=schedule&dir=desc&per_page=25").text) == by_time[::-1]
    assert row_ids(client.get("/imports/").text) == sorted(ids, reverse=True)[:10]  # 10 rows by default
    assert len(row_ids(client.get("/imports/?per_page=999&after=garbage").text)) == 10


def test_the_page_costs_the_same_queries_for_10_or_100_rows(client, setup, app):
    user, customer, product = setup
    for _ in range(10):
        due_now(user, customer, product)

    def queries(path: str) -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    ten = queries("/imports/?per_page=10")
    for _ in range(90):
        due_now(user, customer, product)
    assert queries("/imports/?per_page=100") == ten


def test_a_row_expands_to_its_items_and_failure_reasons(client, setup):
    user, customer, product = setup
    imp = due_now(user, customer, product)
    product.active = False
    db.session.commit()
    run_due_imports()
    fragment = client.get(f"/imports/{imp.id}/items", headers=HX).text
    assert "<html" not in fragment
    for expected in ("Parent account id", customer.code, product.sku, customer.name, product.name,
                     "Failure reasons", "is not active", 'name="open"'):
        assert expected in fragment
    hidden = client.get(f"/imports/{imp.id}/items?hide=1", headers=HX).text
    assert customer.name not in hidden and f'id="import-{imp.id}-items"' in hidden
    # the poll keeps an opened row open
    assert "Failure reasons" in client.get(f"/imports/?open={imp.id}", headers=HX).text


def test_polls_while_something_is_pending_and_stops_with_286(client, setup):
    user, customer, product = setup
    imp = due_now(user, customer, product)
    page = client.get("/imports/").text
    assert 'hx-trigger="every 2s"' in page
    poll = client.get("/imports/", headers=HX)
    assert poll.status_code == 200 and "<html" not in poll.text and 'hx-trigger="every 2s"' in poll.text
    run_due_imports()
    poll = client.get("/imports/", headers=HX)
    assert poll.status_code == 286  # htmx stops polling
    assert 'hx-trigger="every 2s"' not in poll.text and "Completed" in poll.text
    assert client.get("/imports/", headers=HX_BOOSTED).status_code == 200
    assert 'every 2s' not in client.get("/imports/").text
    assert imp.id in row_ids(poll.text)


def test_cancel_from_the_list(client, setup):
    user, customer, product = setup
    imp = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=1))
    page = client.get("/imports/").text
    assert "Are you sure you want to cancel the import?" in page and "Yes, do it" in page and ">No<" not in page
    response = client.post(f"/imports/{imp.id}/cancel", data={"back": "/imports/?per_page=25"})
    assert response.status_code == 303 and response.headers["Location"] == "/imports/?per_page=25"
    db.session.expire_all()
    assert db.session.get(Import, imp.id).status is ImportStatus.CANCELLED
    page = client.get("/imports/", follow_redirects=True).text
    again = client.post(f"/imports/{imp.id}/cancel", data={"back": "https://evil.example/"}, follow_redirects=True)
    assert "Only a pending import can be cancelled" in again.text
    assert "Cancelled" in page


def test_another_resellers_import_answers_404(client, setup):
    other, foreign_customer, product = cloud_setup()
    imp = schedule(other, foreign_customer, product, run_at=utcnow() + timedelta(hours=1))
    assert client.get(f"/imports/{imp.id}/items", headers=HX).status_code == 404
    assert client.post(f"/imports/{imp.id}/cancel").status_code == 404
    assert client.post(f"/imports/{imp.id}/retry").status_code == 404
    assert imp.id not in row_ids(client.get("/imports/").text)
    db.session.expire_all()
    assert db.session.get(Import, imp.id).status is ImportStatus.PENDING


def test_empty_state(client, setup):
    assert "No imports yet." in client.get("/imports/").text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Import)) == 0


def test_a_pending_import_off_the_page_keeps_the_page_polling(client, setup):
    user, customer, product = setup
    pending = schedule(user, customer, product, run_at=utcnow() + timedelta(days=2))
    newer = [schedule(user, customer, product, run_at=utcnow() + timedelta(days=2)) for _ in range(10)]
    for imp in newer:
        imp.status = ImportStatus.COMPLETED
    db.session.commit()
    page = client.get("/imports/?per_page=10", headers=HX)
    assert pending.id not in row_ids(page.text) and len(row_ids(page.text)) == 10
    assert page.status_code == 200 and 'hx-trigger="every 2s"' in page.text
    pending.status = ImportStatus.CANCELLED
    db.session.commit()
    assert client.get("/imports/?per_page=10", headers=HX).status_code == 286
