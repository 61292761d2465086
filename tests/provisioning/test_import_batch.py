"""A claimed batch is read as plain objects (services.imports.import_batch): the rules, the subscription and the
completion e-mail find on them what they read on the models."""
from models import CustomerStatus, Import, ImportSource, ImportStatus, ItemStatus, ResellerStatus, db, utcnow
from services.imports.import_batch import load_batch
from tests.provisioning import TENANT, cloud_setup, due_now


def test_a_batch_carries_what_running_it_reads(app):
    user, customer, product = cloud_setup()
    user.name, user.locale = "Ana", "es"
    second = due_now(user, customer, product, tenant_id=TENANT, name="Second")
    first = due_now(user, customer, product, tenant_id=TENANT, name="First")
    first.run_at, second.run_at = utcnow().replace(microsecond=0), utcnow()  # run_at orders the batch
    customer.status = CustomerStatus.INACTIVE
    db.session.commit()

    batch = load_batch([second.id, first.id])
    assert [imp.id for imp in batch] == [first.id, second.id]
    imp = batch[0]
    assert (imp.reseller_id, imp.name, imp.import_type, imp.created_at) == (
        first.reseller_id, first.name, first.import_type, first.created_at)
    assert (imp.creator_email, imp.creator_name, imp.creator_locale) == (user.email, "Ana", "es")
    assert imp.reseller.is_active and imp.reseller.status is ResellerStatus.ACTIVE
    [item] = imp.items
    assert (item.id, item.status, item.config["name"]) == (first.items[0].id, ItemStatus.PENDING, "First")
    assert (item.customer.code, item.customer.domain, item.customer.is_active) == (
        customer.code, customer.domain, False)
    assert item.product.vendor.name == "Microsoft" and item.product is batch[1].items[0].product  # loaded once


def test_an_import_without_items_comes_alone(app):
    user, _customer, _product = cloud_setup()
    empty = Import(reseller_id=user.reseller_id, created_by_id=user.id, source=ImportSource.FILE,
                   account_type="customer", name="Empty file", import_type="customers",
                   status=ImportStatus.RUNNING, run_at=utcnow())
    db.session.add(empty)
    db.session.commit()
    [imp] = load_batch([empty.id])
    assert imp.name == "Empty file" and imp.items == []
