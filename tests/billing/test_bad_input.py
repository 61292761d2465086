"""Issue 22's bad input not covered elsewhere: a month over but not closed yet, odd periods, an overlapping product
price through the staff page (the price list's other cases are in tests/pricing/test_price_lists.py)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from jobs import billing as billing_jobs
from models import PriceOverride, Role, db, utcnow
from services.billing import statements
from tests.factories import make_product, make_reseller, make_user

pytestmark = pytest.mark.usefixtures("app")


def test_a_month_over_whose_close_has_not_run_is_not_ready_yet(client, login):
    now = utcnow()
    last = statements.previous_period(now)
    before = statements.previous_period(statements.period_bounds(last)[0])
    billing_jobs.close_previous_month(before)  # the close of `last` has not run (yet)
    login(make_user())
    page = client.get(f"/billing/months/{last}").get_data(as_text=True)
    assert "not ready yet" in page and "no charges" not in page
    page = client.get(f"/billing/months/{before}").get_data(as_text=True)
    assert "no charges that month" in page


@pytest.mark.parametrize("period", ["2026-1", "9999-12", "0000-01", "26-01", "2026-01-01", " 2026-01", "2026_01"])
def test_odd_periods_are_404(client, login, period):
    login(make_user())
    assert client.get(f"/billing/months/{period}").status_code == 404


def test_an_overlapping_product_price_comes_back_422_next_to_its_field_and_nothing_is_saved(client, login):
    reseller = make_reseller()
    product = make_product(sku="OVER-1")
    db.session.add(PriceOverride(reseller_id=reseller.id, product_id=product.id, price=Decimal("9.00"),
                                 starts_on=date(2026, 4, 1), ends_on=date(2026, 4, 30)))
    db.session.commit()
    login(make_user(Role.STAFF))
    data = {"sku": "OVER-1", "price": "8.00", "starts_on": "2026-04-15", "ends_on": ""}
    response = client.post(f"/admin/resellers/{reseller.id}/prices/overrides", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "overlap" in html[html.index('id="starts_on-error"'):][:300]
    assert 'value="8.00"' in html and 'value="2026-04-15"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PriceOverride)) == 1
