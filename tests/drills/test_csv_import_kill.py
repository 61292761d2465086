"""SIGKILL a `flask jobs worker` in the middle of a CSV import: once its short lease lapses the sweep hands the
import to a new worker, which resumes after the last committed chunk; every row is recorded exactly once.

The processes run with a two-second lease (IMPORT_LEASE_SECONDS); the drill lapses it through its stored time
(lapse_lease) instead of waiting for the clock."""
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from jobs.sweep import sweep
from models import Import, ImportItem, ImportStatus, db, utcnow
from services.imports import bulk_import
from tests.bulk_import import csv_bytes, run, upload, upload_id
from tests.drills.support import (
    HoldingBridge,
    Processes,
    children,
    kill_session,
    lapse_lease,
    process_env,
    subscriptions_per_item,
)
from tests.factories import make_customer
from tests.provisioning import TENANT, cloud_setup
from tests.support import wait_for

pytestmark = pytest.mark.slow

ROWS = 3 * bulk_import.VENDOR_CHUNK - 10  # three chunks, the last one short
HELD = bulk_import.VENDOR_CHUNK + 20      # the vendor call that hangs: inside the second chunk
LEASE_SECONDS = 2


@pytest.fixture
def bridge():
    bridge = HoldingBridge(hold_at=HELD)
    yield bridge
    bridge.close()


@pytest.fixture
def processes(app, smtp, bridge, tmp_path):
    env = process_env(app, smtp.port, bridge.url)
    env["IMPORT_LEASE_SECONDS"] = str(LEASE_SECONDS)
    processes = Processes(env, tmp_path)
    yield processes
    processes.stop_all()


def stored(import_id: int) -> Import:
    db.session.expire_all()
    return db.session.get(Import, import_id)


def test_sigkill_mid_csv_import_resumes_after_the_lease_and_records_each_row_once(client, login, bridge, processes):
    user, customer, product = cloud_setup()
    codes = [customer.code] + [make_customer(user.reseller, tenant_id=TENANT).code for _ in range(ROWS - 1)]
    login(user)
    header = ["customer_code", "sku", "quantity", "billing_type", "tenant_id", "schedule_at"]
    data = csv_bytes(header, [[code, product.sku, "1", "monthly", "", ""] for code in codes])
    imp = run(client, upload_id(upload(client, data, kind="subscriptions")))

    worker = processes.start("worker")
    assert bridge.entered.wait(60), processes.logs()  # the first chunk is committed, the second is mid-way
    assert wait_for(lambda: children(worker.pid))  # the work horse, killed with it
    kill_session(worker.pid)  # the worker and its work horse, as a lost machine would
    worker.wait(10)
    bridge.release()
    killed = stored(imp.id)
    assert (killed.status, killed.processed_count, killed.attempts) == (
        ImportStatus.RUNNING, bulk_import.VENDOR_CHUNK, 1)
    assert killed.lease_until <= utcnow() + timedelta(seconds=LEASE_SECONDS)  # the processes' short lease
    assert sweep().get("imports_recovered") is None  # nobody takes it over before the lease lapses

    lapse_lease(imp.id)
    result = sweep()
    assert (result["imports_recovered"], result["file_imports_enqueued"]) == (1, 1)
    processes.start("worker")
    wait_for(lambda: stored(imp.id).status is ImportStatus.COMPLETED, 60)

    done = stored(imp.id)
    assert (done.attempts, done.processed_count, done.completed_count, done.failed_count) == (2, ROWS, ROWS, 0)
    rows = Counter(db.session.scalars(sa.select(ImportItem.row_number).where(ImportItem.import_id == imp.id)))
    assert rows == Counter(range(1, ROWS + 1))  # each row has exactly one item
    per_item = subscriptions_per_item()
    assert len(per_item) == ROWS and set(per_item.values()) == {1}  # and exactly one subscription
    # The killed chunk's vendor calls ran again, under the same idempotency key per row: one subscription each.
    assert len(bridge.provisions) == ROWS + HELD - bulk_import.VENDOR_CHUNK
    assert set(bridge.provisions) == {f"import-{imp.id}-row-{n}" for n in range(1, ROWS + 1)}
