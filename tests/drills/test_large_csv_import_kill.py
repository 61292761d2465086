"""SIGKILL the worker in the middle of a 5,000-row CSV import of subscriptions (issue 20): the sweep gives the
import to a new worker once the lease lapses, the run resumes after the last committed chunk, and each row is
recorded exactly once: one item, one subscription, and the vendor asked again only for the killed chunk's rows,
under the same idempotency keys."""
from collections import Counter

import pytest
import sqlalchemy as sa

from jobs.sweep import sweep
from models import Customer, Import, ImportItem, ImportStatus, db, utcnow
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
from tests.provisioning import TENANT, cloud_setup
from tests.support import wait_for

pytestmark = pytest.mark.slow

ROWS = 5_000
DONE_AT_KILL = 50 * bulk_import.VENDOR_CHUNK  # the chunks committed before the one the kill interrupts
HELD = DONE_AT_KILL + 20                      # the vendor call that hangs: inside the next chunk
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


def customer_codes(user, count: int) -> list[str]:
    """`count` active customers with a tenant id, inserted in one statement."""
    now = utcnow()
    codes = [f"DRILL-{n:05d}" for n in range(count)]
    db.session.execute(sa.insert(Customer), [
        {"reseller_id": user.reseller_id, "code": code, "name": f"Cliente {code}", "email": f"{code}@drill.example",
         "tenant_id": TENANT, "created_at": now} for code in codes])
    db.session.commit()
    return codes


def test_sigkill_mid_5000_row_csv_import_resumes_and_records_each_row_once(client, login, bridge, processes):
    user, _customer, product = cloud_setup()
    login(user)
    header = ["customer_code", "sku", "quantity", "billing_type", "tenant_id", "schedule_at"]
    rows = [[code, product.sku, "1", "monthly", "", ""] for code in customer_codes(user, ROWS)]
    imp = run(client, upload_id(upload(client, csv_bytes(header, rows), kind="subscriptions")))

    worker = processes.start("worker")
    assert bridge.entered.wait(600), processes.logs()  # 50 chunks are committed, the 51st is mid-way
    assert wait_for(lambda: children(worker.pid))  # the work horse, killed with it
    kill_session(worker.pid)
    worker.wait(10)
    bridge.release()
    killed = stored(imp.id)
    assert (killed.status, killed.processed_count, killed.attempts) == (ImportStatus.RUNNING, DONE_AT_KILL, 1)
    assert killed.completed_count == DONE_AT_KILL

    lapse_lease(imp.id)
    result = sweep()
    assert (result["imports_recovered"], result["file_imports_enqueued"]) == (1, 1)
    processes.start("worker")
    wait_for(lambda: stored(imp.id).status is ImportStatus.COMPLETED, 900)

    done = stored(imp.id)
    assert (done.attempts, done.processed_count, done.completed_count, done.failed_count) == (2, ROWS, ROWS, 0)
    rows_written = Counter(db.session.scalars(sa.select(ImportItem.row_number).where(ImportItem.import_id == imp.id)))
    assert rows_written == Counter(range(1, ROWS + 1))  # each row has exactly one item
    per_item = subscriptions_per_item()
    assert len(per_item) == ROWS and set(per_item.values()) == {1}  # and exactly one subscription
    assert len(bridge.provisions) == ROWS + HELD - DONE_AT_KILL  # only the killed chunk's calls ran twice
    assert set(bridge.provisions) == {f"import-{imp.id}-row-{n}" for n in range(1, ROWS + 1)}
    assert done.lease_until is None and done.finished_at is not None
