"""services.paging: numbered pages from statements built once (what _pagination.html reads of a page)."""
from models import OrderStatus, Role, db
from services import orders
from tests.factories import make_order, make_product, make_user


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
