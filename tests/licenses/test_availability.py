""""Available of total" licenses: one count, the same on the licenses list, the order page and the admin list."""
import pytest
import sqlalchemy as sa

from models import License, LicenseStatus, OrderStatus, db
from services.orders import orders
from tests.factories import make_order, make_product

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


def test_every_page_counts_the_same_available_of_total():
    order = make_order(status=OrderStatus.APPROVED, lines=[(make_product(), 3), (make_product(), 2)])
    first = order.lines[0]
    db.session.execute(sa.update(License).where(License.order_line_id == first.id, License.seq == 1)
                       .values(status=LicenseStatus.ASSIGNED))
    without_licenses = make_order(lines=[(make_product(), 1)])
    db.session.execute(sa.delete(License).where(License.order_line_id == without_licenses.lines[0].id))

    ids = [order.id, without_licenses.id]
    assert orders.availability(ids) == {order.id: (4, 5), without_licenses.id: (0, 0)}
    assert orders.availability_of(orders.lines_of(ids, counting_licenses=True)) == orders.availability(ids)
    assert [(line.id, available, total) for line, available, total in orders.order_lines(order)] == [
        (first.id, 2, 3), (order.lines[1].id, 2, 2)]
    assert orders.order_lines(without_licenses) == [(without_licenses.lines[0], 0, 0)]
    assert orders.availability([]) == {}
