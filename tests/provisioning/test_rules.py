"""Each validation rule, failing at run time: the import is FAILED with that rule's reason, and the
wizard's pre-flight (the same function) reports the same reason beforehand."""
import pytest
import sqlalchemy as sa

from jobs.provisioning import run_due_imports
from models import (
    CustomerStatus,
    Import,
    ImportItem,
    ImportStatus,
    ItemStatus,
    ResellerStatus,
    SubscriptionStatus,
    db,
)
from services.connectors import get_connector
from services.provisioning import provisioning_rules as rules
from tests.provisioning import cloud_setup, due_now, make_cloud_product, subscriptions_of
from tests.support import mail_text, run_jobs

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


def suspend_reseller(user, customer, product):
    user.reseller.status = ResellerStatus.SUSPENDED


def deactivate_customer(user, customer, product):
    customer.status = CustomerStatus.INACTIVE


def deactivate_product(user, customer, product):
    product.active = False


def publish_new_terms(user, customer, product):
    product.terms_version = 2


def lower_the_maximum(user, customer, product):
    product.max_quantity = 2


def drop_the_billing_type(user, customer, product):
    product.billing_types = ["monthly"]


def break_the_tenant_id(user, customer, product):
    item = db.session.scalar(sa.select(ImportItem))
    item.config = {**item.config, "tenant_id": "not-a-guid"}


RULES = [
    (suspend_reseller, "Parent account not active: the reseller account is suspended."),
    (deactivate_customer, "Parent account not active: the customer"),
    (deactivate_product, "is not active"),
    (publish_new_terms, "terms and conditions (version 2)"),
    (lower_the_maximum, "Enter a quantity from 1 to 2."),
    (drop_the_billing_type, "Use one of this service's billing types: monthly."),  # lists what is allowed
    (break_the_tenant_id, "tenant id as a GUID"),
]


@pytest.mark.parametrize("change,reason", RULES, ids=[f.__name__ for f, _ in RULES])
def test_a_rule_that_fails_at_run_time_fails_the_import_with_its_reason(smtp, change, reason):
    user, customer, product = cloud_setup()
    imp = due_now(user, customer, product, quantity=5, billing_type="P1Y-monthly")
    change(user, customer, product)
    db.session.commit()
    assert run_due_imports() == 1
    db.session.expire_all()
    imp = db.session.get(Import, imp.id)
    assert imp.status is ImportStatus.FAILED
    assert (imp.completed_count, imp.failed_count) == (0, 1)
    assert imp.items[0].status is ItemStatus.FAILED
    assert any(reason in r for r in imp.items[0].reasons), imp.items[0].reasons
    assert subscriptions_of(imp.id) == []
    run_jobs("mail")
    body = mail_text(smtp.wait_for_messages(1)[0])
    assert "Failed accounts: 1" in body and "Completed accounts: 0" in body and reason in body


def test_once_per_account_service_already_present_fails():
    user, customer, product = cloud_setup(once_per_account=True, max_quantity=1)
    first = due_now(user, customer, product)
    second = due_now(user, customer, product)
    run_due_imports()
    db.session.expire_all()
    assert db.session.get(Import, first.id).status is ImportStatus.COMPLETED
    failed = db.session.get(Import, second.id)
    assert failed.status is ImportStatus.FAILED
    assert "can exist only once per account and the customer already has it" in failed.items[0].reasons[0]


def test_a_cancelled_subscription_does_not_count_as_present():
    user, customer, product = cloud_setup(once_per_account=True, max_quantity=1)
    first = due_now(user, customer, product)
    run_due_imports()
    [subscription] = subscriptions_of(first.id)
    subscription.status = SubscriptionStatus.CANCELLED
    db.session.commit()
    second = due_now(user, customer, product)
    run_due_imports()
    db.session.expire_all()
    assert db.session.get(Import, second.id).status is ImportStatus.COMPLETED


def test_the_prerequisite_must_be_present_and_an_earlier_import_in_the_same_run_provides_it():
    user, customer, tenant = cloud_setup(once_per_account=True, max_quantity=1, name="Tenant")
    standard = make_cloud_product(accepted_by=user.reseller, prerequisite=tenant, name="Business Standard")
    db.session.commit()
    alone = due_now(user, customer, standard)
    run_due_imports()
    db.session.expire_all()
    failed = db.session.get(Import, alone.id)
    assert failed.status is ImportStatus.FAILED
    assert failed.items[0].reasons == ["Business Standard needs an active Tenant subscription on the customer first."]

    first = due_now(user, customer, tenant)   # due first (lower id, same second): the batch creates it first
    then = due_now(user, customer, standard)
    run_due_imports()
    db.session.expire_all()
    assert db.session.get(Import, first.id).status is ImportStatus.COMPLETED
    assert db.session.get(Import, then.id).status is ImportStatus.COMPLETED


def test_preflight_reports_each_rule_with_pass_or_its_reason():
    user, customer, tenant = cloud_setup(once_per_account=True, max_quantity=1, name="Tenant")
    standard = make_cloud_product(prerequisite=tenant, name="Business Standard", terms_version=3)
    customer.status = CustomerStatus.INACTIVE
    db.session.commit()
    config = {"name": "x", "quantity": 1, "billing_type": "monthly", "tenant_id": "nope"}
    checks = {c.key: c for c in rules.preflight(user.reseller, customer, standard, config, get_connector())}
    assert set(checks) == {"parent", "service", "once", "prerequisite", "vendor"}
    assert not checks["parent"].ok and "Parent account not active" in checks["parent"].reason
    assert not checks["service"].ok and "version 3" in checks["service"].reason
    assert checks["once"].ok
    assert not checks["prerequisite"].ok and "needs an active Tenant" in checks["prerequisite"].reason
    assert not checks["vendor"].ok and "GUID" in checks["vendor"].reason


def test_the_local_connector_applies_the_vendor_rule_on_its_own():
    from services.connectors import ProvisionRequest

    reasons = get_connector().validate(ProvisionRequest("k", "Microsoft", "SKU", 1, "monthly", "Acme", tenant_id="x"))
    assert reasons and "GUID" in reasons[0]


def test_a_billing_start_that_was_today_when_scheduled_is_still_fine_when_the_import_runs_later():
    from datetime import timedelta

    from models import utcnow

    user, customer, product = cloud_setup()
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    config = {"name": "x", "quantity": 1, "billing_type": "monthly", "tenant_id": customer.tenant_id,
              "billing_start": yesterday}
    assert "billing_start" in rules.config_errors(product, config)
    assert rules.config_errors(product, config, at_run=True) == {}
