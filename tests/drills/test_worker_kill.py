"""SIGKILL a `flask jobs worker` while a provisioning job is inside the vendor call: the work horse, the
parent worker, or the whole process group. After a worker (re)start and the sweep with the lease
expired: exactly one subscription and one completion e-mail."""
import os
import signal
from datetime import timedelta

import pytest
import sqlalchemy as sa

from jobs.sweep import sweep
from models import EmailStatus, Import, ImportStatus, db, utcnow
from tests.drills.support import (
    HoldingBridge,
    Processes,
    alive,
    children,
    completion_mails,
    kill_session,
    outbox_for,
    process_env,
    subscriptions_per_item,
    wait_gone,
)
from tests.provisioning import cloud_setup, schedule
from tests.support import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def bridge():
    bridge = HoldingBridge()
    yield bridge
    bridge.close()


@pytest.fixture
def processes(app, smtp, bridge, tmp_path):
    processes = Processes(process_env(app, smtp.port, bridge.url), tmp_path)
    yield processes
    processes.stop_all()


def import_status(import_id: int) -> ImportStatus:
    db.session.expire_all()
    return db.session.get(Import, import_id).status


def expire_lease(import_id: int) -> None:
    """What ten minutes of waiting would do: the dead run's lease is over."""
    db.session.execute(sa.update(Import).where(Import.id == import_id)
                       .values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def kill(victim: str, worker, horse: int, bridge: HoldingBridge) -> None:
    if victim == "horse":
        os.kill(horse, signal.SIGKILL)
        wait_gone(horse)
        assert worker.poll() is None  # the parent survives and keeps working
        bridge.release()
    elif victim == "parent":
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        assert alive(horse)  # the orphaned work horse is still inside the vendor call; released later
    else:
        kill_session(worker.pid)  # the parent's group and the horse's own group, at once
        worker.wait(10)
        wait_gone(horse)
        bridge.release()


@pytest.mark.parametrize("victim", ["horse", "parent", "group"])
def test_sigkill_in_the_middle_of_provisioning_loses_nothing_and_does_nothing_twice(
        victim, smtp, bridge, processes):
    user, customer, product = cloud_setup()
    imp = schedule(user, customer, product, run_at=None, name=f"kill-{victim}")  # Provision now: queued
    [item_id] = [item.id for item in imp.items]
    worker = processes.start("worker")
    assert bridge.entered.wait(60), processes.logs()  # the job claimed the import and is in the vendor call
    [horse] = wait_for(lambda: children(worker.pid))
    assert os.getpgid(horse) != worker.pid  # RQ puts the horse in its own process group

    kill(victim, worker, horse, bridge)
    assert import_status(imp.id) is ImportStatus.RUNNING  # the claim was durable; nobody finished it
    assert subscriptions_per_item() == {}

    expire_lease(imp.id)
    assert sweep()["imports_recovered"] == 1
    if victim != "horse":
        processes.start("worker")
    wait_for(lambda: import_status(imp.id) is ImportStatus.COMPLETED, 60)
    wait_for(lambda: [e.status for e in outbox_for([imp.id])] == [EmailStatus.SENT], 30)
    if victim == "parent":
        bridge.release()  # the orphan finishes its vendor call now; its late write must be refused
        wait_gone(horse)

    smtp.wait_for_messages(1)
    assert subscriptions_per_item() == {item_id: 1}
    assert completion_mails(smtp) == {(user.email, f"kill-{victim} · {customer.name}"): 1}
    assert len(outbox_for([imp.id])) == 1
    imp = db.session.get(Import, imp.id)
    assert (imp.status, imp.attempts, imp.completed_count) == (ImportStatus.COMPLETED, 2, 1)
    assert set(bridge.provisions) == {f"import-{imp.id}-item-{item_id}"}  # one idempotency key for every call
