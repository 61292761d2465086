"""Issue 18: a service whose brand or category was deactivated is hidden by the catalog, so the New service wizard
and the CSV import neither offer nor provision it: not in the search, not choosable, refused by the pre-flight,
by scheduling and again at run time."""
import pytest
import sqlalchemy as sa

from jobs.provisioning import run_due_imports
from models import Import, ImportItem, ImportStatus, ItemStatus, ServiceDraft, Subscription, db
from services.connectors import get_connector
from services.provisioning import new_service, provisioning
from services.provisioning import provisioning_rules as rules
from tests.bulk_import import csv_bytes, run, upload, upload_id
from tests.factories import make_category, make_customer
from tests.provisioning import TENANT, cloud_setup, due_now
from tests.support import run_jobs

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app

BRAND_REASON = "The service Azure plan is not offered: its brand Microsoft is inactive."
CATEGORY_REASON = "The service Azure plan is not offered: its category Retired cloud is inactive."
PRODUCT_REASON = "The service Azure plan is not active."


def deactivate(product, what: str) -> str:
    """Deactivate the product, its brand or its category; the reason the rules then give."""
    if what == "brand":
        product.vendor.active = False
        return BRAND_REASON
    if what == "category":
        product.category.active = False
        return CATEGORY_REASON
    product.active = False
    return PRODUCT_REASON


@pytest.fixture
def setup():
    user, customer, product = cloud_setup(name="Azure plan", category=make_category("Retired cloud"))
    return user, customer, product


def url(customer, step=""):
    return f"/customers/{customer.id}/services/new" + (f"/{step}" if step else "")


@pytest.mark.parametrize("what", ["brand", "category", "product"])
def test_the_wizard_neither_lists_nor_takes_a_service_the_catalog_hides(client, login, setup, what):
    user, customer, product = setup
    login(user)
    assert "Azure plan" in client.get(url(customer, "select")).text  # the control
    deactivate(product, what)
    db.session.commit()
    assert "Azure plan" not in client.get(url(customer, "select")).text
    assert "Azure plan" not in client.get(url(customer, "select") + "?q=Azure").text
    assert client.post(url(customer, "select"), data={"product_id": product.id}).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceDraft)) == 0
    assert new_service.get_service(product.id) is None


@pytest.mark.parametrize("what", ["brand", "category"])
def test_a_draft_whose_brand_or_category_went_inactive_goes_back_to_the_choice(client, login, setup, what):
    user, customer, product = setup
    login(user)
    draft = new_service.get_draft(user, customer, create=True)
    draft.choose(product)
    draft.config = new_service.default_config(product, customer)
    db.session.commit()
    assert client.get(url(customer, "review")).status_code == 200  # the control
    deactivate(product, what)
    db.session.commit()
    for step in ("review", "configure", "terms"):
        response = client.get(url(customer, step))
        assert response.status_code == 303 and response.headers["Location"].endswith("/select")
    assert client.post(url(customer, "review"), data={"now": "1"}).status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Import)) == 0


@pytest.mark.parametrize("what", ["brand", "category", "product"])
def test_the_preflight_and_scheduling_refuse_it(setup, what):
    user, customer, product = setup
    config = new_service.default_config(product, customer)
    assert all(c.ok for c in rules.preflight(user.reseller, customer, product, config, get_connector()))
    reason = deactivate(product, what)
    db.session.flush()
    checks = {c.key: c for c in rules.preflight(user.reseller, customer, product, config, get_connector())}
    assert (checks["service"].ok, checks["service"].reason) == (False, reason)
    with pytest.raises(provisioning.ProvisioningError, match="is not active"):
        provisioning.schedule_service(customer, product, config, user, None)


@pytest.mark.parametrize("what", ["brand", "category"])
def test_a_scheduled_import_fails_at_run_time_once_its_brand_or_category_is_inactive(setup, what):
    user, customer, product = setup
    imp = due_now(user, customer, product)
    reason = deactivate(product, what)
    db.session.commit()
    assert run_due_imports() == 1
    db.session.expire_all()
    imp = db.session.get(Import, imp.id)
    assert imp.status is ImportStatus.FAILED
    assert imp.items[0].reasons == [reason]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 0


@pytest.mark.parametrize("deactivated_after_preview", [False, True])
def test_csv_rows_for_a_service_of_an_inactive_brand_fail_in_the_preview_and_in_the_run(client, login, setup,
                                                                                        deactivated_after_preview):
    user, customer, product = setup
    login(user)
    second = make_customer(user.reseller, tenant_id=TENANT)
    db.session.commit()
    header = ["customer_code", "sku", "quantity", "billing_type", "tenant_id", "schedule_at"]
    rows = [[customer.code, product.sku, "2", "monthly", "", ""], [second.code, product.sku, "1", "monthly", "", ""]]
    number = upload_id(upload(client, csv_bytes(header, rows, ";"), kind="subscriptions"))
    if not deactivated_after_preview:
        deactivate(product, "brand")
        db.session.commit()
    preview = client.get(f"/imports/uploads/{number}").text
    assert preview.count(BRAND_REASON) == (0 if deactivated_after_preview else 2)
    if deactivated_after_preview:
        deactivate(product, "brand")
        db.session.commit()
    imp = run(client, number)
    run_jobs("default")
    db.session.expire_all()
    assert db.session.get(Import, imp.id).failed_count == 2
    items = db.session.scalars(sa.select(ImportItem).where(ImportItem.import_id == imp.id)).all()
    assert [(i.status, i.reasons) for i in items] == [(ItemStatus.FAILED, [BRAND_REASON])] * 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 0
