"""Kinds of import item (services.imports.kinds): registered once, looked up by the item's `kind`, and the same
validate step answers the pre-flight and the run."""
import pytest

from models import ImportItem, db
from services.imports import import_batch, kinds
from tests.provisioning import cloud_setup, due_now


def test_provision_is_registered_and_an_unknown_kind_says_where_to_register_it(app):
    assert kinds.get("provision").name == kinds.PROVISION
    with pytest.raises(LookupError, match="register it in services.imports.kinds"):
        kinds.get("teleport")


def test_a_scheduled_item_is_a_provision_and_passes_the_pre_flight_until_its_terms_change(app):
    user, customer, product = cloud_setup()
    imp = due_now(user, customer, product)
    assert db.session.get(ImportItem, imp.items[0].id).kind == "provision"
    [batch] = import_batch.load_batch([imp.id])
    assert kinds.preflight("provision", batch.items) == {0: []}
    product.terms_version += 1  # new terms, not accepted yet
    db.session.commit()
    [batch] = import_batch.load_batch([imp.id])
    [reasons] = kinds.preflight("provision", batch.items).values()
    assert reasons and "terms and conditions" in reasons[0]


def test_the_idempotency_key_is_the_row_for_a_csv_item_and_the_item_otherwise(app):
    user, customer, product = cloud_setup()
    imp = due_now(user, customer, product)
    [batch] = import_batch.load_batch([imp.id])
    item = batch.items[0]
    assert kinds.idempotency_key(item) == f"import-{imp.id}-item-{item.id}"
    item.row_number = 7
    assert kinds.idempotency_key(item) == f"import-{imp.id}-row-7"
