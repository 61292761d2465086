"""Lists show their range and total and sort by their columns (issue 23, section 3)."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest

from models import OrderStatus, Role, db
from services.paging import Sort, parse_sort
from tests.factories import make_customer, make_order, make_product, make_reseller, make_user

pytestmark = pytest.mark.usefixtures("app")


def codes(html: str) -> list[str]:
    return re.findall(r'<td><a href="/customers/\d+">([^<]+)</a></td>', html)


def test_parse_sort_takes_a_known_column_or_the_default():
    columns = {"name": 1, "code": 2}
    assert parse_sort("-name", columns, "code") == Sort("name", descending=True)
    assert parse_sort("name", columns, "code") == Sort("name")
    assert parse_sort("password_hash", columns, "-code") == Sort("code", descending=True)
    assert parse_sort(None, columns, "code").param == "code"


def test_customers_sort_by_a_column_and_back(client, login):
    user = login(make_user())
    for code, name in (("C-1", "Zeta"), ("C-2", "Alfa"), ("C-3", "Mu")):
        make_customer(user.reseller, code=code, name=name)
    db.session.commit()
    assert codes(client.get("/customers/").text) == ["C-1", "C-2", "C-3"]
    html = client.get("/customers/?sort=name").text
    assert codes(html) == ["C-2", "C-3", "C-1"]
    assert 'aria-sort="ascending"' in html and 'href="/customers/?sort=-name"' in html  # a second click reverses
    assert codes(client.get("/customers/?sort=-name").text) == ["C-1", "C-3", "C-2"]
    assert codes(client.get("/customers/?sort=nonsense").text) == ["C-1", "C-2", "C-3"]
    assert "1–3 of 3" in html  # range and total even on a single page


def test_orders_sort_by_total(client, login):
    user = login(make_user())
    cheap = make_order(user, lines=[(make_product(price=Decimal("10.00")), 1)])
    dear = make_order(user, lines=[(make_product(price=Decimal("900.00")), 1)], status=OrderStatus.APPROVED)
    db.session.commit()
    html = client.get("/licenses/?sort=-total").text
    assert html.index(f'id="order-{dear.id}"') < html.index(f'id="order-{cheap.id}"')
    html = client.get("/licenses/?sort=total").text
    assert html.index(f'id="order-{cheap.id}"') < html.index(f'id="order-{dear.id}"')


def test_admin_resellers_sort_by_country(client, login):
    login(make_user(Role.STAFF))
    make_reseller(name="Andes", country="UY")
    make_reseller(name="Bosque", country="AR")
    db.session.commit()
    html = client.get("/admin/resellers/?sort=country").text
    assert html.index("Bosque") < html.index("Andes")
    html = client.get("/admin/resellers/").text
    assert html.index("Andes") < html.index("Bosque")


def test_admin_orders_sort_by_placing_time_both_ways(client, login):
    login(make_user(Role.STAFF))
    first, second = make_order(), make_order()
    db.session.commit()
    newest = client.get("/admin/orders/").text
    assert newest.index(f'id="order-{second.id}"') < newest.index(f'id="order-{first.id}"')
    assert 'href="/admin/orders/?sort=placed"' in newest
    oldest = client.get("/admin/orders/?sort=placed").text
    assert oldest.index(f'id="order-{first.id}"') < oldest.index(f'id="order-{second.id}"')
    assert 'aria-sort="ascending"' in oldest
