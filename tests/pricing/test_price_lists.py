"""Staff keep a reseller's price list (services.catalog.price_lists, /admin/resellers/<id>/prices): bad input is
refused next to its field with nothing saved; every change is audited."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import AuditEvent, PriceOverride, ResellerDiscount, Role, db
from services.catalog import price_lists, pricing
from tests.factories import make_product, make_reseller, make_user

D = date(2026, 4, 1)


def entries() -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.scalar(sa.select(sa.func.count()).select_from(ResellerDiscount)),
            db.session.scalar(sa.select(sa.func.count()).select_from(PriceOverride)))


def audited(reseller) -> list[tuple[str, dict]]:
    return [(e.action, e.details) for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.object_type == "Reseller", AuditEvent.object_id == str(reseller.id),
                                    AuditEvent.action.like("price_list.%")).order_by(AuditEvent.id))]


@pytest.fixture
def staff(login):
    return login(make_user(Role.STAFF))


# --- services ---------------------------------------------------------------------------------------------

@pytest.mark.usefixtures("app")
def test_add_and_remove_entries_audited():
    staff, reseller = make_user(Role.STAFF), make_reseller()
    product = make_product(sku="MS-365-BS", price=Decimal("15.00"))
    first = price_lists.add_discount(reseller, by=staff, percent=Decimal("5"), starts_on=D, ends_on=date(2026, 4, 30))
    price_lists.add_discount(reseller, by=staff, percent=Decimal("7.25"), starts_on=date(2026, 5, 1))
    special = price_lists.add_override(reseller, by=staff, sku=" ms-365-bs ", price=Decimal("12.00"), starts_on=D)
    assert pricing.reseller_price(reseller, product, date(2026, 4, 15)) == Decimal("12.00")
    price_lists.remove_entry(reseller, special, by=staff)
    assert pricing.reseller_price(reseller, product, date(2026, 4, 15)) == Decimal("14.25")
    assert pricing.reseller_price(reseller, product, date(2026, 5, 15)) == Decimal("13.91")  # 13.9125
    assert audited(reseller) == [
        ("price_list.discount_add", {"discount_id": first.id, "percent": "5.00", "starts_on": "2026-04-01",
                                     "ends_on": "2026-04-30"}),
        ("price_list.discount_add", {"discount_id": first.id + 1, "percent": "7.25", "starts_on": "2026-05-01",
                                     "ends_on": None}),
        ("price_list.override_add", {"override_id": special.id, "sku": "MS-365-BS", "price": "12.00",
                                     "starts_on": "2026-04-01", "ends_on": None}),
        ("price_list.override_remove", {"override_id": special.id, "sku": "MS-365-BS", "price": "12.00",
                                        "starts_on": "2026-04-01", "ends_on": None}),
    ]


@pytest.mark.usefixtures("app")
@pytest.mark.parametrize("percent,starts_on,ends_on,field,message", [
    (Decimal("-1"), D, None, "percent", "from 0 to 100"),
    (Decimal("100.01"), D, None, "percent", "from 0 to 100"),
    (Decimal("NaN"), D, None, "percent", "from 0 to 100"),
    (Decimal("5.125"), D, None, "percent", "two decimals"),
    (Decimal("5"), None, None, "starts_on", "first day"),
    (Decimal("5"), D, date(2026, 3, 31), "ends_on", "before the first"),
    (Decimal("5"), date(2026, 3, 1), None, "starts_on", "overlap"),           # open end runs into April
    (Decimal("5"), date(2026, 3, 1), D, "starts_on", "overlap"),              # its last day is the other's first
    (Decimal("5"), date(2026, 4, 20), date(2026, 4, 21), "starts_on", "overlap"),  # inside
])
def test_a_bad_discount_is_refused_next_to_its_field_and_nothing_is_saved(percent, starts_on, ends_on, field, message):
    staff, reseller = make_user(Role.STAFF), make_reseller()
    price_lists.add_discount(reseller, by=staff, percent=Decimal("3"), starts_on=D, ends_on=date(2026, 4, 30))
    with pytest.raises(price_lists.PriceListError, match=message) as error:
        price_lists.add_discount(reseller, by=staff, percent=percent, starts_on=starts_on, ends_on=ends_on)
    assert error.value.field == field
    assert entries() == (1, 0)


@pytest.mark.usefixtures("app")
def test_spans_that_only_touch_do_not_overlap_and_other_resellers_do_not_count():
    staff, reseller, other = make_user(Role.STAFF), make_reseller(), make_reseller()
    product = make_product(sku="TOUCH-1")
    price_lists.add_override(reseller, by=staff, sku="TOUCH-1", price=Decimal("1.00"), starts_on=D,
                             ends_on=date(2026, 4, 30))
    price_lists.add_override(reseller, by=staff, sku="TOUCH-1", price=Decimal("2.00"), starts_on=date(2026, 5, 1))
    price_lists.add_override(other, by=staff, sku="TOUCH-1", price=Decimal("3.00"), starts_on=D)
    price_lists.add_override(reseller, by=staff, sku=make_product().sku, price=Decimal("4.00"), starts_on=D)
    with pytest.raises(price_lists.PriceListError, match="overlap") as error:
        price_lists.add_override(reseller, by=staff, sku="TOUCH-1", price=Decimal("5.00"), starts_on=date(2027, 1, 1))
    assert error.value.field == "starts_on"
    assert pricing.reseller_price(reseller, product, date(2026, 5, 1)) == Decimal("2.00")


@pytest.mark.usefixtures("app")
@pytest.mark.parametrize("sku,price,field,message", [
    ("NO-SUCH-SKU", Decimal("1.00"), "sku", "No product has the SKU “NO-SUCH-SKU”"),
    ("", Decimal("1.00"), "sku", "No product has the SKU"),
    ("KNOWN", Decimal("-0.01"), "price", "zero or more"),
    ("KNOWN", Decimal("1E+15"), "price", "zero or more"),
    ("KNOWN", Decimal("Infinity"), "price", "zero or more"),
    ("KNOWN", Decimal("1.001"), "price", "two decimals"),
])
def test_a_bad_override_is_refused_next_to_its_field(sku, price, field, message):
    staff, reseller = make_user(Role.STAFF), make_reseller()
    make_product(sku="KNOWN")
    with pytest.raises(price_lists.PriceListError, match=message) as error:
        price_lists.add_override(reseller, by=staff, sku=sku, price=price, starts_on=D)
    assert error.value.field == field
    assert entries() == (0, 0)


# --- the staff page ---------------------------------------------------------------------------------------

def test_the_reseller_page_links_to_its_price_list_which_starts_empty(client, staff):
    reseller = make_reseller()
    db.session.commit()
    show = client.get(f"/admin/resellers/{reseller.id}").text
    assert f'href="/admin/resellers/{reseller.id}/prices"' in show
    page = client.get(f"/admin/resellers/{reseller.id}/prices")
    assert page.status_code == 200
    assert "No discounts: the reseller pays the reseller prices." in page.text and "Today: no discount." in page.text


def test_add_a_discount_and_a_product_price_through_the_page(client, staff):
    reseller = make_reseller()
    make_product(sku="ADB-CCT", name="Creative Cloud", price=Decimal("89.99"))
    db.session.commit()
    base = f"/admin/resellers/{reseller.id}/prices"
    response = client.post(f"{base}/discounts", data={"percent": "12.5", "starts_on": "2020-01-01", "ends_on": ""})
    assert response.status_code == 303 and response.headers["Location"] == base
    response = client.post(f"{base}/overrides", data={"sku": "adb-cct", "price": "79.00", "starts_on": "2020-01-01"})
    assert response.status_code == 303
    page = client.get(base).text
    assert "Today: 12.5 % off every reseller price." in page
    assert "Creative Cloud" in page and "$79.00" in page and "$89.99" in page
    assert [action for action, _details in audited(reseller)] == ["price_list.discount_add",
                                                                   "price_list.override_add"]


@pytest.mark.parametrize("form,data,field,message", [
    ("discounts", {"percent": "-5", "starts_on": "2026-04-01"}, "percent", "Enter a percentage from 0 to 100."),
    ("discounts", {"percent": "150", "starts_on": "2026-04-01"}, "percent", "Enter a percentage from 0 to 100."),
    ("discounts", {"percent": "abc", "starts_on": "2026-04-01"}, "percent", "Not a valid decimal value."),
    ("discounts", {"percent": "5", "starts_on": "2026-04-15", "ends_on": ""}, "starts_on", "overlap"),
    ("discounts", {"percent": "5", "starts_on": ""}, "starts_on", "Enter the first day it applies."),
    ("overrides", {"sku": "NOPE-404", "price": "1.00", "starts_on": "2026-04-01"}, "sku",
     "No product has the SKU “NOPE-404”."),
    ("overrides", {"sku": "KNOWN-1", "price": "-1", "starts_on": "2026-04-01"}, "price", "Enter an amount of zero"),
])
def test_bad_input_comes_back_422_next_to_the_field_with_what_was_typed_and_nothing_saved(
        client, staff, form, data, field, message):
    reseller = make_reseller()
    make_product(sku="KNOWN-1")
    db.session.add(ResellerDiscount(reseller_id=reseller.id, percent=Decimal("3"), starts_on=D))
    db.session.commit()
    response = client.post(f"/admin/resellers/{reseller.id}/prices/{form}", data=data)
    assert response.status_code == 422
    html = response.text
    error = html[html.index(f'id="{field}-error"'):]
    assert message in error[:300]
    for value in data.values():
        assert f'value="{value}"' in html or not value
    assert entries() == (1, 0)
    assert audited(reseller) == []


def test_remove_asks_first_and_another_resellers_entry_is_404(client, staff):
    reseller, other = make_reseller(), make_reseller()
    mine = ResellerDiscount(reseller_id=reseller.id, percent=Decimal("3"), starts_on=D)
    theirs = ResellerDiscount(reseller_id=other.id, percent=Decimal("4"), starts_on=D)
    db.session.add_all([mine, theirs])
    db.session.commit()
    page = client.get(f"/admin/resellers/{reseller.id}/prices").text
    assert 'hx-confirm="Remove the 3 % discount from this price list?"' in page
    assert client.post(f"/admin/resellers/{reseller.id}/prices/discounts/{theirs.id}/remove").status_code == 404
    response = client.post(f"/admin/resellers/{reseller.id}/prices/discounts/{mine.id}/remove")
    assert response.status_code == 303
    assert entries() == (1, 0)
    assert [action for action, _details in audited(reseller)] == ["price_list.discount_remove"]


def test_resellers_may_not_open_a_price_list(client, login):
    user = login(make_user(Role.RESELLER))
    assert client.get(f"/admin/resellers/{user.reseller_id}/prices").status_code == 403
