"""The cart: one per user, quantities within limits, the price the user saw, totals in Decimal."""
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import Cart, CartLine, ProductKind, Role, db
from services.orders import cart as carts
from tests.factories import make_product, make_user

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


@pytest.fixture
def user():
    return make_user(Role.RESELLER)


def test_adding_creates_the_cart_once_and_adds_to_the_same_line(user):
    product = make_product(price=Decimal("38.50"))
    carts.add_to_cart(user, product.id, 2)
    line = carts.add_to_cart(user, product.id, 3)
    assert (line.quantity, line.unit_price) == (5, Decimal("38.50"))
    assert db.session.scalar(sa.select(sa.func.count(Cart.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(CartLine.id))) == 1
    assert carts.item_count(user) == 5


@pytest.mark.parametrize("quantity,message", [(0, "at least 1"), (-3, "at least 1"), (11, "from 1 to 10")])
def test_quantities_outside_one_to_the_maximum_are_refused(user, quantity, message):
    product = make_product(max_quantity=10)
    with pytest.raises(carts.CartError, match=message):
        carts.add_to_cart(user, product.id, quantity)
    assert carts.item_count(user) == 0


def test_adding_past_the_maximum_says_what_is_already_in_the_cart(user):
    product = make_product(max_quantity=10)
    carts.add_to_cart(user, product.id, 8)
    with pytest.raises(carts.CartError, match="your cart already has 8"):
        carts.add_to_cart(user, product.id, 3)
    assert carts.item_count(user) == 8


def test_the_sql_cap_holds_even_when_the_check_before_it_is_stale(user):
    product = make_product(max_quantity=10)
    line = carts.add_to_cart(user, product.id, 8)
    # Another tab added meanwhile: the row has 8, but pretend this request read an older cart.
    db.session.execute(sa.update(CartLine).where(CartLine.id == line.id).values(quantity=9))
    db.session.expire_all()
    with pytest.raises(carts.CartError):
        carts.add_to_cart(user, product.id, 2)


@pytest.mark.parametrize("change", [{"active": False}, {"kind": ProductKind.SUBSCRIPTION}])
def test_inactive_products_and_cloud_services_cannot_be_added(user, change):
    product = make_product(**change)
    with pytest.raises(carts.CartError):
        carts.add_to_cart(user, product.id, 1)


def test_unknown_or_inactive_brand_products_cannot_be_added(user):
    product = make_product()
    product.vendor.active = False
    with pytest.raises(carts.CartError, match="not available"):
        carts.add_to_cart(user, product.id, 1)
    with pytest.raises(carts.CartError, match="not available"):
        carts.add_to_cart(user, 999999, 1)


def test_a_line_remembers_the_price_seen_and_knows_when_it_changed(user):
    product = make_product(price=Decimal("100.00"))
    line = carts.add_to_cart(user, product.id, 1)
    assert not line.price_changed
    product.price = Decimal("120.00")
    [line] = carts.get_cart(user).lines  # read again: today's price
    assert line.price_changed and (line.unit_price, line.price_now) == (Decimal("100.00"), Decimal("120.00"))
    assert carts.cart_totals(line.cart).total == Decimal("120.00")  # today's price is what counts


def test_totals_round_tax_to_the_cent(app):
    totals = carts.totals([(Decimal("19.99"), 3), (Decimal("0.01"), 1)], Decimal("0.22"))
    assert (totals.subtotal, totals.tax, totals.total) == (Decimal("59.98"), Decimal("13.20"), Decimal("73.18"))
    app.config["TAX_RATE"] = "0.22"
    assert carts.tax_rate() == Decimal("0.22")
    app.config["TAX_RATE"] = "22"
    with pytest.raises(carts.CartError, match="misconfigured"):
        carts.tax_rate()


def test_a_line_of_another_users_cart_is_not_found(user):
    line = carts.add_to_cart(user, make_product().id, 1)
    other = make_user(Role.RESELLER, reseller=user.reseller)  # even a colleague: carts are per user
    assert carts.user_line(user, line.id) is line
    assert carts.user_line(other, line.id) is None


def test_set_quantity_and_remove(user):
    line = carts.add_to_cart(user, make_product(max_quantity=5).id, 1)
    carts.set_quantity(line, 5)
    assert carts.item_count(user) == 5
    with pytest.raises(carts.CartError):
        carts.set_quantity(line, 6)
    carts.remove_line(line)
    assert carts.item_count(user) == 0
