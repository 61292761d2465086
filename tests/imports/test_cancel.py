"""Cancel: PENDING -> CANCELLED by a conditional UPDATE, so cancel and run never both win."""
import threading

import pytest
import sqlalchemy as sa

from jobs.provisioning import run_due_imports, run_import
from models import Import, ImportStatus, ItemStatus, OutboxEmail, db
from services.imports import imports
from services.imports.imports import ImportStateError
from tests.provisioning import cloud_setup, due_now, subscriptions_of
from tests.support import run_jobs

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


def status_of(import_id: int) -> ImportStatus:
    db.session.expire_all()
    return db.session.get(Import, import_id).status


def test_a_cancelled_import_never_runs():
    user, customer, product = cloud_setup()
    imp = due_now(user, customer, product)
    imports.cancel_import(user.reseller_id, imp.id, user)
    db.session.commit()
    assert run_due_imports() == 0
    assert run_import(imp.id) == "not claimed"
    assert status_of(imp.id) is ImportStatus.CANCELLED
    assert db.session.get(Import, imp.id).items[0].status is ItemStatus.CANCELLED
    assert subscriptions_of(imp.id) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0


@pytest.mark.parametrize("final", ["COMPLETED", "CANCELLED"])
def test_only_a_pending_import_can_be_cancelled_and_nothing_changes_otherwise(final):
    user, customer, product = cloud_setup()
    imp = due_now(user, customer, product)
    if final == "COMPLETED":
        run_due_imports()
    else:
        imports.cancel_import(user.reseller_id, imp.id, user)
        db.session.commit()
    with pytest.raises(ImportStateError, match="Only a pending import can be cancelled"):
        imports.cancel_import(user.reseller_id, imp.id, user)
    db.session.rollback()
    assert status_of(imp.id).value == final


def test_another_resellers_import_cannot_be_cancelled():
    user, customer, product = cloud_setup()
    other, _, _ = cloud_setup()
    imp = due_now(user, customer, product)
    with pytest.raises(ImportStateError):
        imports.cancel_import(other.reseller_id, imp.id, other)
    db.session.rollback()
    assert status_of(imp.id) is ImportStatus.PENDING


def test_fifty_cancel_versus_run_races_never_both_win(app):
    user, customer, product = cloud_setup()
    outcomes = []
    for _ in range(50):
        import_id = due_now(user, customer, product).id
        start = threading.Barrier(2)
        result = {}

        def cancel(import_id=import_id, start=start, result=result):
            with app.app_context():
                start.wait()
                try:
                    imports.cancel_import(user.reseller_id, import_id, user)
                    db.session.commit()
                    result["cancel"] = "won"
                except ImportStateError:
                    db.session.rollback()
                    result["cancel"] = "refused"

        def run(import_id=import_id, start=start, result=result):
            with app.app_context():
                start.wait()
                result["run"] = run_import(import_id)

        threads = [threading.Thread(target=cancel), threading.Thread(target=run)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        status, subscriptions = status_of(import_id), len(subscriptions_of(import_id))
        if result["cancel"] == "won":
            assert (result["run"], status, subscriptions) == ("not claimed", ImportStatus.CANCELLED, 0)
        else:
            assert (result["run"], status, subscriptions) == ("done", ImportStatus.COMPLETED, 1)
        outcomes.append(result["cancel"])
    assert len(outcomes) == 50


def test_two_runs_at_once_share_the_due_imports_and_run_each_once(app, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SIZE", 5)
    user, customer, product = cloud_setup()
    ids = [due_now(user, customer, product).id for _ in range(40)]
    counts = []

    def worker():
        with app.app_context():
            counts.append(run_due_imports())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(counts) == 40
    db.session.expire_all()
    assert {status_of(i) for i in ids} == {ImportStatus.COMPLETED}
    assert sum(len(subscriptions_of(i)) for i in ids) == 40
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 40
    run_jobs("default")  # the helper jobs they queued find nothing left


def test_retry_runs_a_failed_import_again():
    user, customer, product = cloud_setup()
    imp = due_now(user, customer, product)
    product.active = False
    db.session.commit()
    run_due_imports()
    assert status_of(imp.id) is ImportStatus.FAILED
    product.active = True
    db.session.commit()
    imports.retry_import(user.reseller_id, imp.id, user)
    db.session.commit()
    run_jobs("default")
    imp = db.session.get(Import, imp.id)
    assert imp.status is ImportStatus.COMPLETED and (imp.completed_count, imp.failed_count) == (1, 0)
    assert imp.items[0].reasons == [] and len(subscriptions_of(imp.id)) == 1
    with pytest.raises(ImportStateError):
        imports.retry_import(user.reseller_id, imp.id, user)
