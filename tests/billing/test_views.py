"""The reseller's Billing pages, the statement's PDF (read back with pypdf) and CSV, and the staff's Billing."""
from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from models import Role, Statement, Subscription, db
from services.billing import statements
from services.orders import orders
from tests.billing import at, make_subscription
from tests.billing.test_statements import charge
from tests.factories import make_customer, make_order, make_product, make_reseller, make_user

pytestmark = pytest.mark.usefixtures("app")
COST = "6.66"  # the distributor's unit cost: never on a reseller's page, PDF or CSV


def closed_statement(app, lines: int = 3):
    app.config["TAX_RATE"] = "0.22"
    user = make_user()
    customer = make_customer(user.reseller, name="Peña Hermanos", code="PH-1")
    make_subscription(user.reseller, customer, start=at("2026-10-03 09:00"), quantity=3, unit_price="7.20",
                      unit_cost=COST)
    for n in range(lines - 1):
        charge(user.reseller_id, "0.10", "2026-10-20 00:00", f"adj-{user.id}-{n}")
    db.session.commit()
    [statement_id] = statements.close_month("2026-10")
    db.session.commit()
    return user, db.session.get(Statement, statement_id)


def test_billing_page_lists_statements_and_this_months_charges(app, client, login):
    user, statement = closed_statement(app)
    charge(user.reseller_id, "3.00", "2099-01-01 00:00", f"running-{user.id}")  # not closed yet: running
    db.session.commit()
    login(user)
    page = client.get("/billing/").get_data(as_text=True)
    assert statement.number in page and "October 2026" in page
    assert "$26.60" in page  # 21.80 + 22 % tax (4.796 -> 4.80)
    current = client.get("/billing/current").get_data(as_text=True)
    assert "$3.00" in current and "charge running" in current
    shown = client.get(f"/billing/statements/{statement.id}").get_data(as_text=True)
    assert "Peña Hermanos" in shown and "$21.60" in shown and COST not in shown and "19.98" not in shown


def test_statement_totals(app):
    _user, statement = closed_statement(app)
    assert (statement.subtotal, statement.tax, statement.total) == (Decimal("21.80"), Decimal("4.80"), Decimal("26.60"))


def figures(text: str) -> list[Decimal]:
    return [Decimal(m.replace(",", "")) for m in re.findall(r"-?\$(-?[\d,]+\.\d\d)", text)]


def test_the_pdf_reads_back_with_its_lines_and_totals(app, client, login):
    user, statement = closed_statement(app, lines=60)  # more than a page
    login(user)
    response = client.get(f"/billing/statements/{statement.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert len(reader.pages) >= 2 and statement.number in text and "Pe" in text
    assert "Subtotal" in text and "Customer subtotal" in text
    amounts = figures(text)
    assert amounts[-3:] == [statement.subtotal, statement.tax, statement.total]
    assert amounts.count(Decimal("0.10")) >= 59 and Decimal("21.60") in amounts
    assert COST not in text and "19.98" not in text


def test_the_csv_has_every_line_and_the_totals_and_no_cost(app, client, login):
    user, statement = closed_statement(app)
    login(user)
    response = client.get(f"/billing/statements/{statement.id}/csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Date (UTC)", "Customer code", "Customer name"]
    amounts = [Decimal(row[9]) for row in rows[1:-3]]
    assert len(amounts) == statement.line_count and sum(amounts) == statement.subtotal
    assert [row[9] for row in rows[-3:]] == [str(statement.subtotal), str(statement.tax), str(statement.total)]
    assert COST not in response.get_data(as_text=True)


def test_another_resellers_statement_is_404(app, client, login):
    _owner, statement = closed_statement(app)
    login(make_user())
    for suffix in ("", "/pdf", "/csv"):
        assert client.get(f"/billing/statements/{statement.id}{suffix}").status_code == 404


def test_a_month_not_closed_yet_says_so(app, client, login):
    user, statement = closed_statement(app)
    login(user)
    response = client.get("/billing/months/2026-10")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/statements/{statement.id}")
    page = client.get("/billing/months/2999-01").get_data(as_text=True)
    assert "not ready yet" in page and "00:00 UTC" in page
    page = client.get("/billing/months/2026-09").get_data(as_text=True)
    assert "no charges that month" in page
    assert client.get("/billing/months/2026-13").status_code == 404


def test_staff_see_cost_and_margin_and_export_them(app, client, login):
    user, statement = closed_statement(app)
    login(make_user(role=Role.STAFF))
    page = client.get("/admin/billing/?period=2026-10").get_data(as_text=True)
    assert statement.number in page and "$19.98" in page and "$1.82" in page  # cost 3 x 6.66, margin 21.80 - 19.98
    export = client.get("/admin/billing/export.csv?period=2026-10").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))
    assert rows[1][2] == statement.number and Decimal(rows[1][9]) == statement.subtotal - statement.cost
    assert client.get("/admin/billing/?period=2026-13").status_code == 422
    assert client.get(f"/admin/billing/statements/{statement.id}/pdf").status_code == 200


def test_resellers_cannot_open_the_staff_billing(app, client, login):
    login(make_user())
    assert client.get("/admin/billing/").status_code == 403



def test_the_pages_and_the_pdf_speak_spanish(app, client, login):
    user, statement = closed_statement(app)
    user.locale = "es"
    db.session.commit()
    login(user)
    page = client.get(f"/billing/statements/{statement.id}")
    assert page.status_code == 200 and "octubre de 2026" in page.get_data(as_text=True)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(
        client.get(f"/billing/statements/{statement.id}/pdf").data)).pages)
    assert "21,60" in text and "Peña Hermanos" in text  # es_UY formats, Latin-1 kept


def test_the_order_and_subscription_pages_show_their_charges(app, client, login):
    user, statement = closed_statement(app)
    staff = make_user(role=Role.STAFF)
    order = make_order(user, lines=[(make_product(price=Decimal("40.00")), 2)])
    orders.approve_order(order, staff)
    db.session.commit()
    login(user)
    page = client.get(f"/licenses/orders/{order.id}").get_data(as_text=True)
    assert 'id="charges"' in page and "$80.00" in page and "This month so far" in page
    sub = db.session.scalar(sa.select(Subscription).where(Subscription.reseller_id == user.reseller_id))
    page = client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert "$21.60" in page and statement.number in page


def test_staff_sort_the_statements_by_their_columns_and_the_export_follows(app, client, login):
    resellers = {}
    for name, quantity in (("Andes SA", 5), ("Borde SRL", 1)):
        user = make_user(reseller=make_reseller(name=name))
        make_subscription(user.reseller, make_customer(user.reseller), start=at("2026-10-03 09:00"),
                          quantity=quantity, unit_price="7.20", unit_cost=COST)
        resellers[name] = user.reseller_id
    db.session.commit()
    statements.close_month("2026-10")
    db.session.commit()
    login(make_user(role=Role.STAFF))

    def order(url: str) -> list[str]:
        text = client.get(url).get_data(as_text=True)
        return sorted(resellers, key=lambda name: text.index(name, text.index('id="statements"')))

    assert order("/admin/billing/?sort=-total") == ["Andes SA", "Borde SRL"]
    assert order("/admin/billing/?sort=total") == ["Borde SRL", "Andes SA"]
    assert order("/admin/billing/?sort=reseller") == ["Andes SA", "Borde SRL"]
    assert order("/admin/billing/?sort=-reseller") == ["Borde SRL", "Andes SA"]
    page = client.get("/admin/billing/?sort=-margin").get_data(as_text=True)
    assert 'aria-sort="descending"' in page and 'name="sort" value="-margin"' in page  # the filter keeps it
    assert client.get("/admin/billing/?sort=nonsense").status_code == 200  # the default order
    export = client.get("/admin/billing/export.csv?sort=total").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))
    assert [row[1] for row in rows[1:]] == ["Borde SRL", "Andes SA"]
