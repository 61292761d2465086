"""Each row error, for customers and for subscriptions, as the preview and the run see them."""
from datetime import timedelta

import pytest

from models import db, utcnow
from services.imports.csv_rows import validate_rows
from tests.bulk_import import TENANT
from tests.factories import make_customer, make_product, make_reseller
from tests.provisioning import cloud_setup, make_cloud_product

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app

CUSTOMER_COLUMNS = ["code", "name", "email", "country", "currency", "language", "tenant_id"]
SUBSCRIPTION_COLUMNS = ["customer_code", "sku", "quantity", "billing_type", "tenant_id", "schedule_at"]


def customer_errors(reseller, *rows):
    results = validate_rows("customers", reseller, CUSTOMER_COLUMNS, [list(r) for r in rows])
    return [r.errors for r in results]


def good(code="C-1", **kw):
    row = {"code": code, "name": "Peña S.A.", "email": "it@pena.example", "country": "", "currency": "",
           "language": "", "tenant_id": "", **kw}
    return [row[c] for c in CUSTOMER_COLUMNS]


@pytest.mark.parametrize(("row", "error"), [
    (good(code=""), "Enter the customer's code."),
    (good(name=""), "Enter the customer's legal name."),
    (good(email=""), "Enter the customer's e-mail address."),
    (good(email="not-an-address"), "Enter a valid e-mail address."),
    (good(email="a@b.example, c@d.example"), "Enter a valid e-mail address."),
    (good(code="X" * 61), "code: use at most 60 characters."),
    (good(country="Uruguay"), "The country is a two-letter code"),
    (good(currency="dollars"), "The currency is a three-letter code"),
    (good(language="spanish"), "The language is a code such as es or en."),
    (good(tenant_id="not-a-guid"), "Enter the tenant id as a GUID"),
])
def test_each_customer_row_error(row, error):
    [errors] = customer_errors(make_reseller(), row)
    assert any(error in e for e in errors), errors


def test_a_good_customer_row_is_valid_and_cleaned():
    reseller = make_reseller(country="AR", currency="ARS")
    [result] = validate_rows("customers", reseller, CUSTOMER_COLUMNS, [good(email="IT@Peña.example",
                                                                            tenant_id=TENANT)])
    assert result.ok, result.errors
    assert (result.data["country"], result.data["currency"], result.data["language"]) == ("AR", "ARS", "es")
    assert result.data["tenant_id"] == TENANT and result.data["reseller_id"] == reseller.id


def test_duplicate_codes_in_the_file_and_in_the_database():
    reseller = make_reseller()
    make_customer(reseller, code="TAKEN")
    make_customer(make_reseller(), code="OTHERS")  # another reseller's code is free for this one
    errors = customer_errors(reseller, good("A"), good("TAKEN"), good("A"), good("OTHERS"))
    assert errors[0] == [] and errors[3] == []
    assert errors[1] == ["You already have a customer with the code TAKEN."]
    assert errors[2] == ["The code A appears more than once in the file (first in row 1)."]


def test_a_row_with_more_values_than_columns_is_refused():
    [result] = validate_rows("customers", make_reseller(), ["code", "name", "email"],
                             [["C-1", "Peña", "a@b.example", "surplus"]])
    assert "This row has 4 values but the file has 3 columns" in result.errors[0]


# --- subscriptions -------------------------------------------------------------------------------

def sub_errors(user, *rows):
    results = validate_rows("subscriptions", user.reseller, SUBSCRIPTION_COLUMNS, [list(r) for r in rows])
    return [r.errors for r in results]


def sub(customer, product, quantity="3", billing="monthly", tenant="", when=""):
    return [getattr(customer, "code", customer), getattr(product, "sku", product), quantity, billing, tenant, when]


def test_a_good_subscription_row_is_valid():
    user, customer, product = cloud_setup()
    soon = (utcnow() + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    results = validate_rows("subscriptions", user.reseller, SUBSCRIPTION_COLUMNS,
                            [sub(customer, product), sub(customer, product, billing="P1Y-monthly", when=soon)])
    assert [r.errors for r in results] == [[], []]
    assert results[0].data["config"]["tenant_id"] == TENANT  # the customer's, when the row has none
    assert results[1].data["run_at"].startswith((utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))


@pytest.mark.parametrize(("change", "error"), [
    ({"customer": ""}, "Enter the customer code."),
    ({"customer": "NOPE"}, "No customer with the code NOPE in your account."),
    ({"product": ""}, "Enter the product SKU."),
    ({"product": "NO-SUCH-SKU"}, "Unknown service SKU NO-SUCH-SKU."),
    ({"quantity": "0"}, "Enter a quantity from 1 to 300."),
    ({"quantity": "three"}, "Enter a quantity from 1 to 300."),
    ({"quantity": "301"}, "Enter a quantity from 1 to 300."),
    ({"billing": ""}, "Enter the billing type."),
    ({"billing": "weekly"}, "Use one of this service's billing types: P1Y-monthly, monthly."),
    ({"tenant": "not-a-guid"}, "Enter the tenant id as a GUID"),
    ({"when": "tomorrow"}, "Enter the schedule date-time in UTC as YYYY-MM-DD HH:MM."),
    ({"when": "2001-01-01 10:00"}, "Choose a moment at least one minute from now (UTC)."),
    ({"when": "2999-01-01 10:00"}, "Choose a moment at most a year from now."),
])
def test_each_subscription_row_error(change, error):
    user, customer, product = cloud_setup()
    row = sub(change.get("customer", customer), change.get("product", product), change.get("quantity", "3"),
              change.get("billing", "monthly"), change.get("tenant", ""), change.get("when", ""))
    [errors] = sub_errors(user, row)
    assert any(error in e for e in errors), errors


def test_another_resellers_customer_is_unknown_and_a_license_sku_is_not_a_service():
    user, customer, product = cloud_setup()
    foreign = make_customer(make_reseller(), code="FOREIGN-1")
    license_product = make_product()
    errors = sub_errors(user, sub(foreign, product), sub(customer, license_product))
    assert errors == [["No customer with the code FOREIGN-1 in your account."],
                      [f"Unknown service SKU {license_product.sku}."]]


def test_the_provisioning_rules_run_on_each_row():
    user, customer, product = cloud_setup()
    no_terms = make_cloud_product()  # terms not accepted by this reseller
    inactive = make_customer(user.reseller, code="SLEEPY", status="INACTIVE")
    db.session.flush()
    errors = sub_errors(user, sub(customer, no_terms), sub(inactive, product))
    assert "terms and conditions" in errors[0][0]
    assert "Parent account not active: the customer SLEEPY is inactive." in errors[1]


def test_duplicate_subscription_rows_in_the_file():
    user, customer, product = cloud_setup()
    errors = sub_errors(user, sub(customer, product), sub(customer, product))
    assert errors[0] == []
    assert errors[1] == ["The same subscription appears more than once in the file (first in row 1)."]

