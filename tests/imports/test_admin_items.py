"""Admin → Imports: a FAILED import shows its first failed items' reasons and a link to the rest; the import's
own staff page lists its items a page at a time, of one status if asked."""
from __future__ import annotations

import pytest

from models import Import, ImportItem, ImportSource, ImportStatus, ItemStatus, Role, db, utcnow
from tests.factories import make_customer, make_reseller, make_user

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def staff(login):
    user = make_user(role=Role.STAFF)
    db.session.commit()
    return login(user)


def _item(imp: Import, row: int, status: ItemStatus, **kw) -> ImportItem:
    return ImportItem(import_id=imp.id, row_number=row, status=status, quantity=1, billing_type="", **kw)


def _failed_import(failed: int, completed: int = 0) -> Import:
    reseller = make_reseller()
    creator = make_user(reseller=reseller)
    customer = make_customer(reseller=reseller)
    imp = Import(reseller=reseller, created_by=creator, source=ImportSource.FILE, account_type="customer",
                 name="Big file", import_type="CSV", status=ImportStatus.FAILED, run_at=utcnow(),
                 completed_count=completed, failed_count=failed)
    db.session.add(imp)
    db.session.flush()
    db.session.add_all([_item(imp, n + 1, ItemStatus.COMPLETED, customer_id=customer.id, reasons=[])
                        for n in range(completed)])
    db.session.add_all([_item(imp, row, ItemStatus.FAILED, reasons=[f"Bad row number {row}."])
                        for row in range(completed + 1, completed + failed + 1)])
    db.session.commit()
    return imp


def test_the_list_shows_the_first_failed_items_and_links_to_the_rest(client, staff):
    imp = _failed_import(failed=12, completed=2)
    html = client.get("/admin/imports/?status=FAILED").text
    assert "Row 3: Bad row number 3." in html and "Row 5: Bad row number 5." in html
    assert "Bad row number 6." not in html  # only the first three failed items
    assert f'href="/admin/imports/{imp.id}?status=FAILED">See all 12 failed items</a>' in html


def test_a_few_failed_items_are_all_shown_without_a_link(client, staff):
    imp = _failed_import(failed=2)
    html = client.get("/admin/imports/").text
    assert "Row 1: Bad row number 1." in html and "Row 2: Bad row number 2." in html
    assert f"/admin/imports/{imp.id}?status=FAILED" not in html


def test_the_import_page_lists_its_items_by_status_a_page_at_a_time(client, staff):
    imp = _failed_import(failed=60, completed=3)
    page = client.get(f"/admin/imports/{imp.id}").text
    assert "Items of Big file" in page and "63 items" in page
    failed = client.get(f"/admin/imports/{imp.id}?status=FAILED").text
    assert "60 items" in failed and "Bad row number 4." in failed and "Bad row number 63." not in failed  # page 1
    second = client.get(f"/admin/imports/{imp.id}?status=FAILED&page=2").text
    assert "Bad row number 63." in second and "Bad row number 4." not in second
    assert client.get("/admin/imports/99999").status_code == 404


def test_resellers_cannot_open_the_staff_page(client, login):
    imp = _failed_import(failed=1)
    login(imp.created_by)
    assert client.get(f"/admin/imports/{imp.id}").status_code in (403, 404)
