"""services.catalog.pricing: a reseller's price of a product on a day, with exact figures."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import PriceUnit, ProductKind, ProductPrice, Role, db, utcnow
from services.catalog import catalog_admin, pricing
from services.catalog.price_terms import price_basis
from tests.factories import make_product, make_reseller, make_user
from tests.pricing import discount, override

pytestmark = pytest.mark.usefixtures("app")

D = date(2026, 3, 10)


def test_without_a_price_list_the_reseller_pays_the_reseller_price():
    product = make_product(price=Decimal("199.00"), msrp=Decimal("229.00"), cost=Decimal("161.00"))
    assert pricing.reseller_price(make_reseller(), product, D) == Decimal("199.00")
    assert pricing.reseller_price(None, product, D) == Decimal("199.00")  # staff: no price list
    prices = pricing.reseller_prices(make_reseller(), [product], D)[product.id]
    assert (prices.price, prices.msrp, prices.reduced) == (Decimal("199.00"), Decimal("229.00"), False)


@pytest.mark.parametrize("price,percent,expected", [
    ("199.00", "10", "179.10"),
    ("19.99", "12.5", "17.49"),   # 17.49125
    ("0.30", "25", "0.23"),       # 0.225: half up (half even would give 0.22)
    ("10.05", "5", "9.55"),       # 9.5475
    ("100.00", "100", "0.00"),
    ("100.00", "0", "100.00"),
])
def test_a_discount_is_taken_off_and_rounded_half_up_to_the_cent(price, percent, expected):
    reseller = make_reseller()
    product = make_product(price=Decimal(price))
    discount(reseller, percent, D)
    assert pricing.reseller_price(reseller, product, D) == Decimal(expected)


def test_a_discount_applies_only_on_its_days_and_only_to_its_reseller():
    reseller, other = make_reseller(), make_reseller()
    product = make_product(price=Decimal("80.00"))
    discount(reseller, "25", D, D + timedelta(days=2))
    assert pricing.reseller_price(reseller, product, D - timedelta(days=1)) == Decimal("80.00")
    assert pricing.reseller_price(reseller, product, D) == Decimal("60.00")
    assert pricing.reseller_price(reseller, product, D + timedelta(days=2)) == Decimal("60.00")  # the last day counts
    assert pricing.reseller_price(reseller, product, D + timedelta(days=3)) == Decimal("80.00")
    assert pricing.reseller_price(other, product, D) == Decimal("80.00")


def test_an_override_is_the_price_exactly_and_wins_over_the_discount():
    reseller = make_reseller()
    special, plain = make_product(price=Decimal("15.00")), make_product(price=Decimal("15.00"))
    discount(reseller, "10", D)
    override(reseller, special, "11.11", D + timedelta(days=5), D + timedelta(days=9))
    assert pricing.reseller_price(reseller, special, D) == Decimal("13.50")
    assert pricing.reseller_price(reseller, special, D + timedelta(days=5)) == Decimal("11.11")
    assert pricing.reseller_price(reseller, plain, D + timedelta(days=5)) == Decimal("13.50")
    assert pricing.reseller_price(reseller, special, D + timedelta(days=10)) == Decimal("13.50")
    prices = pricing.reseller_prices(reseller, [special], D + timedelta(days=6))[special.id]
    assert (prices.price, prices.list_price, prices.reduced) == (Decimal("11.11"), Decimal("15.00"), True)


def test_the_price_history_gives_the_price_of_the_day_the_price_list_applies_to_it():
    staff, reseller = make_user(Role.STAFF), make_reseller()
    product = make_product(price=Decimal("100.00"), msrp=Decimal("120.00"))
    product.created_at = datetime(2026, 1, 1, 9, tzinfo=UTC)
    db.session.flush()
    discount(reseller, "20", date(2026, 1, 1))
    values = {key: getattr(product, key) for key in catalog_admin.PRODUCT_FIELDS}
    catalog_admin.update_product(product, by=staff, **{**values, "price": Decimal("110.00"), "msrp": Decimal("135.00")})
    changed_at = db.session.scalar(sa.select(sa.func.max(ProductPrice.effective_at)))
    before = pricing.reseller_prices(reseller, [product], changed_at - timedelta(seconds=1))[product.id]
    assert (before.price, before.msrp) == (Decimal("80.00"), Decimal("120.00"))
    after = pricing.reseller_prices(reseller, [product], changed_at)[product.id]
    assert (after.price, after.msrp) == (Decimal("88.00"), Decimal("135.00"))
    assert pricing.reseller_price(reseller, product, date(2026, 1, 2)) == Decimal("80.00")
    # A day is the price at its end: today's is the current price.
    assert pricing.reseller_price(reseller, product, changed_at.date()) == Decimal("88.00")
    assert pricing.reseller_price(reseller, product, date(2025, 12, 1)) == Decimal("100.00")  # before: the first


def test_the_batch_form_answers_like_the_single_one_in_a_few_queries(app):
    reseller = make_reseller()
    products = [make_product(price=Decimal(f"{n}.99")) for n in range(1, 31)]
    discount(reseller, "7.5", D)
    override(reseller, products[3], "1.00", D)
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        prices = pricing.reseller_prices(reseller, products, D)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) <= 4  # history, discount, overrides: not one query per product
    assert len(prices) == 30
    assert prices[products[0].id].price == Decimal("1.84")   # 1.99 × 0.925 = 1.84075
    assert prices[products[3].id].price == Decimal("1.00")
    assert all(prices[p.id].price == pricing.reseller_price(reseller, p, D) for p in products)


def test_a_moment_reads_the_price_list_of_its_utc_day():
    reseller = make_reseller()
    product = make_product(price=Decimal("50.00"))
    discount(reseller, "50", D)
    assert pricing.reseller_price(reseller, product, datetime(2026, 3, 9, 23, 59, tzinfo=UTC)) == Decimal("50.00")
    assert pricing.reseller_price(reseller, product, datetime(2026, 3, 10, 0, 0, tzinfo=UTC)) == Decimal("25.00")
    assert pricing.reseller_price(reseller.id, product, utcnow()) == Decimal("25.00")  # an id does too


def test_price_basis_says_per_what_and_for_which_term(app):
    cloud = make_product(kind=ProductKind.SUBSCRIPTION, unit=PriceUnit.USER,
                         billing_types=["P1Y-monthly", "P1Y-annual", "monthly"])
    with app.test_request_context():
        assert price_basis(cloud, "P1Y-monthly") == "per user and month, 1-year commitment"
        assert price_basis(cloud, "monthly") == "per user and month, no commitment"
        assert price_basis(cloud) == ("per user and month, 1-year commitment / 1-year commitment, paid annually"
                                      " / no commitment")
        assert price_basis(make_product(unit=PriceUnit.DEVICE)) == "per device"


def test_pairs_of_many_resellers_are_priced_together(app):
    plain, discounted, special = make_reseller(), make_reseller(), make_reseller()
    a, b = make_product(price=Decimal("20.00")), make_product(price=Decimal("8.00"))
    discount(discounted, "15", D)
    discount(special, "50", D)
    override(special, b, "7.77", D)
    pairs = [(plain, a), (plain, b), (discounted, a), (discounted, b), (special, a), (special, b), (None, a)]
    prices = pricing.prices_of_pairs([(r.id if r else None, p) for r, p in pairs], D)
    assert prices == {(plain.id, a.id): Decimal("20.00"), (plain.id, b.id): Decimal("8.00"),
                      (discounted.id, a.id): Decimal("17.00"), (discounted.id, b.id): Decimal("6.80"),
                      (special.id, a.id): Decimal("10.00"), (special.id, b.id): Decimal("7.77"),
                      (None, a.id): Decimal("20.00")}
