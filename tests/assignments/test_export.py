"""CSV export: streamed, only the reseller's rows, safe against spreadsheet formula injection."""
import csv
import io

import pytest

from models import Role, db
from services.orders.license_export import safe_cell
from tests.assignments.support import approved_order, assign, setup_pool
from tests.factories import make_customer, make_user


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"), ("+1", "'+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("Acme", "Acme"), (None, ""), ("a=b", "a=b"),
])
def test_cells_that_a_spreadsheet_would_run_are_neutralised(value, expected):
    assert safe_cell(value) == expected


def test_export_streams_the_resellers_licenses(client, login):
    user, order, customer = setup_pool(3, code="=CMD", name="@Acme, \"Ltda\"")
    assignment = assign(order, customer, 2, user)
    other = make_user(Role.RESELLER)
    approved_order(other, 4)
    db.session.commit()
    login(user)
    response = client.get("/licenses/export.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv" and response.headers["Content-Disposition"].startswith("attachment;")
    header, *data = rows(response)
    assert header == ["Order", "Product", "SKU", "Key", "Status", "Customer code", "Customer name",
                      "Assigned at (UTC)", "Activated at (UTC)"]
    assert len(data) == 3  # the other reseller's 4 licenses are not here
    first = data[0]
    assert first[:7] == [order.number, "Windows 11 Pro", "KW9-00632", assignment.licenses[0].key, "ASSIGNED",
                         "'=CMD", "'@Acme, \"Ltda\""]
    assert first[7] and not first[8]
    assert data[2][4] == "AVAILABLE" and data[2][5:] == ["", "", "", ""]


def test_export_for_one_customer(client, login):
    user, order, customer = setup_pool(6)
    other_customer = make_customer(user.reseller)
    assign(order, customer, 2, user)
    assign(order, other_customer, 1, user)
    login(user)
    data = rows(client.get(f"/licenses/export.csv?customer={customer.id}"))[1:]
    assert len(data) == 2 and {row[5] for row in data} == {customer.code}
