"""My imports' poll and expanded rows: 304 while nothing changed (no item read), the first items with a count, and
the import's own page with all its items (pages, a status filter, 404 for another reseller's)."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import event

from jobs.provisioning import run_due_imports
from models import ImportItem, ImportStatus, ItemStatus, db, utcnow
from services.imports import listing
from tests.provisioning import cloud_setup, due_now, schedule
from tests.support import HX, HX_BOOSTED


@pytest.fixture
def setup(login):
    user, customer, product = cloud_setup()
    login(user)
    return user, customer, product


def with_items(imp, count: int, failed_every: int = 0) -> None:
    """`count` more items like the import's first one, every `failed_every`th FAILED with a reason."""
    first = imp.items[0]
    for n in range(count):
        failed = failed_every and n % failed_every == 0
        db.session.add(ImportItem(import_id=imp.id, customer_id=first.customer_id, product_id=first.product_id,
                                  quantity=1, billing_type=first.billing_type, config={},
                                  status=ItemStatus.FAILED if failed else ItemStatus.PENDING,
                                  reasons=[f"Reason {n}"] if failed else []))
    db.session.commit()


def etag_of(html: str) -> str:
    return re.search(r"""hx-headers='\{"If-None-Match": "\\"(\w+)\\""\}'""", html).group(1)


def statements_during(request) -> list[str]:
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        request()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return statements


def test_a_poll_that_would_show_the_same_is_answered_304_without_reading_items(client, setup):
    user, customer, product = setup
    imp = due_now(user, customer, product)
    with_items(imp, 30)
    page = client.get(f"/imports/?open={imp.id}")
    version = etag_of(page.text)
    assert 'hx-disinherit="hx-swap hx-include hx-headers"' in page.text  # the rows' own requests send no ETag
    poll = client.get(f"/imports/?open={imp.id}", headers={**HX, "If-None-Match": f'"{version}"'})
    assert poll.status_code == 304 and poll.data == b"" and poll.headers["ETag"] == f'"{version}"'
    statements = statements_during(lambda: client.get(f"/imports/?open={imp.id}",
                                                      headers={**HX, "If-None-Match": f'"{version}"'}))
    assert not [s for s in statements if "import_item" in s]
    # another tab's old version, or the same page with the row closed, gets the page
    assert client.get(f"/imports/?open={imp.id}", headers={**HX, "If-None-Match": '"old"'}).status_code == 200
    closed = client.get("/imports/", headers={**HX, "If-None-Match": f'"{version}"'})
    assert closed.status_code == 200 and etag_of(closed.text) != version
    # a full page (reload, boosted navigation) is never a 304
    assert client.get(f"/imports/?open={imp.id}", headers={"If-None-Match": f'"{version}"'}).status_code == 200
    assert client.get(f"/imports/?open={imp.id}",
                      headers={**HX_BOOSTED, "If-None-Match": f'"{version}"'}).status_code == 200


def test_a_change_of_status_counters_or_rows_processed_changes_the_version(client, setup):
    user, customer, product = setup
    imp = due_now(user, customer, product)
    version = etag_of(client.get(f"/imports/?open={imp.id}").text)
    imp.processed_count = 1  # a file import's rows gained items
    db.session.commit()
    poll = client.get(f"/imports/?open={imp.id}", headers={**HX, "If-None-Match": f'"{version}"'})
    assert poll.status_code == 200
    version = poll.headers["ETag"].strip('"')
    run_due_imports()
    done = client.get(f"/imports/?open={imp.id}", headers={**HX, "If-None-Match": f'"{version}"'})
    assert done.status_code == 286 and "Completed" in done.text and "If-None-Match" not in done.text
    later = schedule(user, customer, product, run_at=utcnow() + timedelta(days=1))
    again = client.get("/imports/", headers={**HX, "If-None-Match": done.headers["ETag"]})
    assert again.status_code == 200 and f'id="import-{later.id}"' in again.text


def test_a_poll_where_only_the_active_imports_changed_gets_their_rows_alone(client, setup):
    user, customer, product = setup
    imp = due_now(user, customer, product)
    later = schedule(user, customer, product, run_at=utcnow() + timedelta(days=1))
    done = schedule(user, customer, product, run_at=utcnow() + timedelta(days=2))
    done.status = ImportStatus.CANCELLED
    db.session.commit()
    page = client.get(f"/imports/?open={imp.id}").text
    poll_url = re.search(r'data-poll hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert f"active={later.id},{imp.id}" in poll_url or f"active={imp.id},{later.id}" in poll_url
    poll_url += f"&open={imp.id}"  # htmx adds the open rows (hx-include)
    version = etag_of(page)
    imp.completed_count = 7  # its counters moved: the rows listed are the same
    db.session.commit()
    poll = client.get(poll_url, headers={**HX, "If-None-Match": f'"{version}"'})
    assert poll.status_code == 200 and poll.headers["HX-Reswap"] == "none"
    new_version = poll.headers["ETag"].strip('"')
    assert new_version != version and len(new_version) == len(version)
    assert f'<tr id="import-{imp.id}" hx-swap-oob="true">' in poll.text and '<td class="num">7</td>' in poll.text
    assert f'<tr id="import-{imp.id}-items" class="items-row open" hx-swap-oob="true">' in poll.text
    assert f'<tr id="import-{later.id}" hx-swap-oob="true">' in poll.text  # active: shown again, its items closed
    assert f'id="import-{later.id}-items"' not in poll.text and f'id="import-{done.id}' not in poll.text
    assert "imports-table" not in poll.text  # the table stays
    again = client.get(poll_url, headers={**HX, "If-None-Match": f'"{new_version}"'})
    assert again.status_code == 304
    # a row that finishes changes the rows listed: the whole table again (and 286 once nothing is active)
    imp.status, later.status = ImportStatus.COMPLETED, ImportStatus.CANCELLED
    db.session.commit()
    last = client.get(poll_url, headers={**HX, "If-None-Match": f'"{new_version}"'})
    assert last.status_code == 286 and 'id="imports-table"' in last.text and "HX-Reswap" not in last.headers
    # another reseller's import named in ?active= shows nothing
    other, foreign_customer, other_product = cloud_setup()
    foreign = schedule(other, foreign_customer, other_product, run_at=utcnow() + timedelta(hours=1))
    mine = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=1))
    version = etag_of(client.get("/imports/").text)
    mine.completed_count = 1
    db.session.commit()
    poll = client.get(f"/imports/?active={foreign.id},{mine.id}", headers={**HX, "If-None-Match": f'"{version}"'})
    assert poll.status_code == 200 and f'id="import-{foreign.id}"' not in poll.text
    assert f'<tr id="import-{mine.id}" hx-swap-oob="true">' in poll.text


def test_an_expanded_row_shows_the_first_items_with_the_count_and_a_link_to_all(client, setup):
    user, customer, product = setup
    imp = due_now(user, customer, product)
    with_items(imp, 24)
    fragment = client.get(f"/imports/{imp.id}/items", headers=HX).text
    assert fragment.count(f"<td>{customer.code}</td>") == listing.FIRST_ITEMS
    assert "10 of 25 items" in fragment
    assert f'href="/imports/{imp.id}"' in fragment and "See all the items of the import" in fragment
    poll = client.get(f"/imports/?open={imp.id}", headers=HX).text
    assert poll.count(f"<td>{customer.code}</td>") == listing.FIRST_ITEMS and "10 of 25 items" in poll


def test_an_import_with_few_items_shows_them_all_and_links_to_its_page(client, setup):
    user, customer, product = setup
    imp = due_now(user, customer, product)
    fragment = client.get(f"/imports/{imp.id}/items", headers=HX).text
    assert "1 of 1 item" in fragment and "See the import" in fragment and "See all the items" not in fragment


def test_the_import_page_lists_every_item_by_pages_and_by_status(client, setup):
    user, customer, product = setup
    imp = due_now(user, customer, product)
    with_items(imp, 119, failed_every=10)  # 120 items, 12 failed
    page = client.get(f"/imports/{imp.id}").text
    assert page.count(f"<td>{customer.code}</td>") == listing.ITEMS_PER_PAGE
    assert "Page 1 of 3" in page and "1–50 of 120" in page
    assert "All (120)" in page and "Failed (12)" in page and "Pending (108)" in page
    last = client.get(f"/imports/{imp.id}?page=3").text
    assert last.count(f"<td>{customer.code}</td>") == 20
    failed = client.get(f"/imports/{imp.id}?status=FAILED", headers=HX)
    assert "<html" not in failed.text and failed.text.count(f"<td>{customer.code}</td>") == 12
    assert "Reason 0" in failed.text and "Reason 110" in failed.text
    assert "No items with this status." in client.get(f"/imports/{imp.id}?status=CANCELLED").text
    whole = client.get(f"/imports/{imp.id}?status=bogus&page=x")
    assert whole.status_code == 200 and "1–50 of 120" in whole.text  # unknown filters show everything


def test_the_import_page_of_another_reseller_is_404(client, setup):
    other, foreign_customer, product = cloud_setup()
    imp = schedule(other, foreign_customer, product, run_at=utcnow() + timedelta(hours=1))
    assert client.get(f"/imports/{imp.id}").status_code == 404
    assert client.get(f"/imports/{imp.id}?status=PENDING", headers=HX).status_code == 404


def test_an_import_without_items_says_so(client, setup):
    user, customer, product = setup
    imp = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=1))
    db.session.delete(imp.items[0])
    imp.status = ImportStatus.CANCELLED
    db.session.commit()
    assert "This import has no items." in client.get(f"/imports/{imp.id}").text
    fragment = client.get(f"/imports/{imp.id}/items", headers=HX).text
    assert "This import has no items." in fragment and "See all the items" not in fragment


def test_opening_a_row_puts_it_in_the_address_so_a_reload_keeps_it_open(client, setup):
    user, customer, product = setup
    imp = due_now(user, customer, product)
    tab = {**HX, "HX-Current-URL": "http://localhost/imports/?per_page=25&open=7"}
    opened = client.get(f"/imports/{imp.id}/items", headers=tab)
    assert opened.headers["HX-Replace-Url"] == f"/imports/?per_page=25&open=7&open={imp.id}"
    reloaded = client.get(opened.headers["HX-Replace-Url"]).text
    assert f'<input type="hidden" name="open" value="{imp.id}">' in reloaded and customer.code in reloaded
    tab["HX-Current-URL"] = f"http://localhost/imports/?open={imp.id}&per_page=25"
    closed = client.get(f"/imports/{imp.id}/items?hide=1", headers=tab)
    assert closed.headers["HX-Replace-Url"] == "/imports/?per_page=25"
    tab["HX-Current-URL"] = f"http://localhost/imports/?open={imp.id}"
    assert client.get(f"/imports/{imp.id}/items?hide=1", headers=tab).headers["HX-Replace-Url"] == "/imports/"
    elsewhere = client.get(f"/imports/{imp.id}/items", headers={**HX, "HX-Current-URL": "http://evil.example/x"})
    assert "HX-Replace-Url" not in elsewhere.headers
