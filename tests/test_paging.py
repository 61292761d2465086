"""services.paging: numbered pages (what the pager reads of a page) and keyset pages."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import Order, OrderStatus, Role, db, utcnow
from services import paging
from services.orders import orders
from services.paging import keyset_page, page_of
from tests.factories import make_order, make_product, make_user
from tests.provisioning import cloud_setup, schedule


def test_pages_of_a_list_and_past_its_end(app):
    buyer = make_user(Role.RESELLER)
    product = make_product()
    made = [make_order(buyer, lines=[(product, 1)]) for _ in range(45)]
    db.session.commit()

    first = orders.reseller_orders(buyer.reseller_id)
    assert [o.id for o in first.items] == [o.id for o in reversed(made)][:20]
    assert (first.page, first.pages, first.total, first.first, first.last) == (1, 3, 45, 1, 20)
    assert (first.has_prev, first.prev_num, first.has_next, first.next_num) == (False, None, True, 2)

    last = orders.reseller_orders(buyer.reseller_id, page=3)
    assert [o.id for o in last.items] == [o.id for o in made[:5]][::-1]
    assert (last.first, last.last, last.has_next, last.prev_num) == (41, 45, False, 2)

    beyond = orders.reseller_orders(buyer.reseller_id, page=9)
    assert beyond.items == [] and (beyond.first, beyond.last, beyond.total) == (0, 0, 45)
    assert orders.reseller_orders(buyer.reseller_id, page=-3).page == 1


def test_a_filtered_page_counts_only_what_it_shows(app):
    buyer = make_user(Role.RESELLER)
    product = make_product()
    approved = make_order(buyer, lines=[(product, 1), (make_product(), 3)], status=OrderStatus.APPROVED)
    pending = make_order(buyer, lines=[(product, 2)])
    make_order(make_user(Role.RESELLER), lines=[(product, 1)])  # another reseller's
    db.session.commit()
    page = orders.reseller_orders(buyer.reseller_id, status=OrderStatus.PENDING)
    assert [o.id for o in page.items] == [pending.id] and page.total == 1
    lines = orders.lines_of([pending.id, approved.id], counting_licenses=True)
    assert [(line.product_name, line.quantity) for line in lines[pending.id]] == [(product.name, 2)]
    assert orders.availability_of(lines) == {pending.id: (0, 2), approved.id: (4, 4)}
    assert [line.quantity for line in orders.lines_of([approved.id])[approved.id]] == [1, 3]


def test_keyset_pages_onward_back_and_from_a_mangled_cursor(app):
    buyer = make_user(Role.RESELLER)
    product = make_product()
    newest_first = [make_order(buyer, lines=[(product, 1)]) for _ in range(5)][::-1]
    db.session.commit()
    ids = [o.id for o in newest_first]

    def page(**cursor):
        return keyset_page(sa.select(Order).where(Order.reseller_id == buyer.reseller_id), Order.id, per_page=2,
                           **cursor)

    first = page()
    assert all(isinstance(o, Order) for o in first.items)  # a select of one entity pages its objects
    assert [o.id for o in first.items] == ids[:2] and first.is_first and first.prev_cursor is None
    second = page(after=first.next_cursor)
    assert [o.id for o in second.items] == ids[2:4] and not second.is_first
    last = page(after=second.next_cursor)
    assert [o.id for o in last.items] == ids[4:] and last.next_cursor is None
    back = page(before=last.prev_cursor)
    assert [o.id for o in back.items] == ids[2:4] and back.next_cursor and back.prev_cursor
    assert [o.id for o in page(before=back.prev_cursor).items] == ids[:2]
    for mangled in ("x", "-1", "²", "9" * 30, ""):
        assert [o.id for o in page(after=mangled).items] == ids[:2]


def test_a_numbered_page_of_objects_and_the_last_page_for_one_past_the_end(app):
    buyer = make_user(Role.RESELLER)
    product = make_product()
    made = [make_order(buyer, lines=[(product, 1)]) for _ in range(5)]
    db.session.commit()
    orders_ = sa.select(Order).where(Order.reseller_id == buyer.reseller_id).order_by(Order.id)
    count = sa.select(sa.func.count()).select_from(Order).where(Order.reseller_id == buyer.reseller_id)
    page = page_of(orders_, 9, 2, count=count, last_when_past_end=True)
    assert (page.page, page.total, [o.id for o in page.items]) == (3, 5, [made[4].id])
    assert page_of(orders_, 9, 2, count=count).items == []


def test_a_counted_keyset_page_knows_its_range_and_total_onward_and_back(app):
    buyer = make_user(Role.RESELLER)
    product = make_product()
    made = [make_order(buyer, lines=[(product, 1)]) for _ in range(5)]
    db.session.commit()
    mine = sa.select(Order).where(Order.reseller_id == buyer.reseller_id)

    def page(**cursor):
        return keyset_page(mine, Order.id, per_page=2, counted=True, **cursor)

    first = page()
    assert (first.first, first.last, first.total, first.capped) == (1, 2, 5, False)
    second = page(after=first.next_cursor)
    assert (second.first, second.last, second.total) == (3, 4, 5)
    last = page(after=second.next_cursor)
    assert (last.first, last.last) == (5, 5)
    back = page(before=last.prev_cursor)
    assert (back.first, back.last) == (3, 4) and [o.id for o in back.items] == [made[2].id, made[1].id]
    past_end = page(after=str(made[0].id))
    assert past_end.items == [] and past_end.total == 5 and past_end.first is None


def test_a_keyset_page_sorted_by_a_text_column_then_id(app):
    buyer = make_user(Role.RESELLER)
    product = make_product()
    descriptions = ["b-2", "a", "c", "b-2", "a"]
    made = [make_order(buyer, lines=[(product, 1)], description=d) for d in descriptions]
    db.session.commit()
    expected = [o.id for o in sorted(made, key=lambda o: (o.description, o.id))]
    mine = sa.select(Order).where(Order.reseller_id == buyer.reseller_id)

    def page(**cursor):
        return keyset_page(mine, Order.id, sort_column=Order.description, descending=False, per_page=2,
                           counted=True, **cursor)

    seen, cursor = [], {}
    for _ in range(3):
        current = page(**cursor)
        seen += [o.id for o in current.items]
        cursor = {"after": current.next_cursor}
    assert seen == expected and current.next_cursor is None
    assert current.first == 5
    for mangled in ("x", "a-x", "a-", "-"):
        assert [o.id for o in page(after=mangled).items] == expected[:2]


def test_a_count_stops_at_the_cap(app, monkeypatch):
    buyer = make_user(Role.RESELLER)
    product = make_product()
    made = [make_order(buyer, lines=[(product, 1)]) for _ in range(5)]
    db.session.commit()
    monkeypatch.setattr(paging, "COUNT_CAP", 3)
    mine = sa.select(Order).where(Order.reseller_id == buyer.reseller_id)
    first = keyset_page(mine, Order.id, per_page=2, counted=True)
    assert (first.total, first.capped, first.first, first.last) == (3, True, 1, 2)
    deep = keyset_page(mine, Order.id, per_page=2, counted=True, after=str(made[1].id))
    assert deep.items and deep.offset is None and deep.first is None  # past the cap: no range, only "of 3+"


def test_my_imports_shows_its_range_and_total_on_every_page(client, login):
    user, customer, product = cloud_setup()
    base = utcnow() + timedelta(days=1)
    for hours in range(12):
        schedule(user, customer, product, run_at=base + timedelta(hours=hours))
    login(user)
    first = client.get("/imports/?per_page=10").text
    assert "1–10 of 12" in first
    onward = re.search(r'href="([^"]*after=[^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(onward).text
    assert "11–12 of 12" in second
    back = re.search(r'href="([^"]*before=[^"]*)" rel="prev"', second).group(1).replace("&amp;", "&")
    assert "1–10 of 12" in client.get(back).text
    assert "1–10 of 12" in client.get("/imports/?sort=schedule&dir=asc&per_page=10").text


@pytest.mark.parametrize("column", ["status", "total", "created_at"])
def test_keyset_pages_by_a_status_an_amount_or_a_time_cover_every_row_once(app, column):
    buyer = make_user(Role.RESELLER)
    statuses = [OrderStatus.PENDING, OrderStatus.APPROVED, OrderStatus.REJECTED]
    for n in range(7):
        make_order(buyer, lines=[(make_product(price=Decimal(f"{n % 3}.50")), 1)], status=statuses[n % 3],
                   created_at=utcnow() - timedelta(hours=n % 4))
    db.session.commit()
    sort_column = getattr(Order, column)
    mine = sa.select(Order).where(Order.reseller_id == buyer.reseller_id)
    expected = [o.id for o in db.session.scalars(mine.order_by(sort_column.desc(), Order.id.desc()))]
    seen, cursor = [], None
    while True:
        page = keyset_page(mine, Order.id, sort_column=sort_column, per_page=3, after=cursor)
        seen += [o.id for o in page.items]
        assert page.total == 7 and page.first == len(seen) - len(page.items) + 1
        if not (cursor := page.next_cursor):
            break
    assert seen == expected
