"""The downloadable templates pass their own importer: every example row is valid (issue 23)."""
import pytest

from models import db
from services.imports.csv_import import parse_file, template_csv
from services.imports.csv_rows import validate_rows
from tests.factories import make_customer, make_user
from tests.provisioning import make_cloud_product

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


def rows_of(kind: str):
    parsed = parse_file(kind, template_csv(kind).encode("utf-8"), 5 * 1024 * 1024, 100)
    return parsed.header, parsed.rows


def test_the_customers_template_is_valid():
    header, rows = rows_of("customers")
    results = validate_rows("customers", make_user().reseller, header, rows)
    assert [r.errors for r in results] == [[], []]


def test_the_subscriptions_template_is_valid_schedule_included():
    user = make_user()
    make_customer(user.reseller, code="C-0001")
    make_customer(user.reseller, code="C-0002")
    make_cloud_product(accepted_by=user.reseller, sku="CFQ7TTC0LH18")
    db.session.commit()
    header, rows = rows_of("subscriptions")
    results = validate_rows("subscriptions", user.reseller, header, rows)
    assert [r.errors for r in results] == [[], []]
    assert results[1].data["run_at"] is not None  # the example schedule is kept, not dropped
