"""Two `flask jobs scheduler` and three `flask jobs worker` processes, 500 imports due in the same second:
500 subscriptions (one per import item: the unique constraint is the guard) and each completion e-mail once.

The imports are scheduled an hour ahead (however long that takes on a busy machine); once all five processes have
registered in Redis they are moved to a second a few seconds ahead, where the last one is scheduled through the
service (which sends that second's run): every process is running when they fall due, without a margin on the wall
clock for scheduling 500 to fit in."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rq import Queue, Worker
from rq.registry import StartedJobRegistry
from rq_scheduler import Scheduler

from models import EmailStatus, Import, ImportItem, db, utcnow
from queues import QUEUE_NAMES, get_redis
from services.provisioning import new_service, provisioning
from tests.drills.support import (
    Processes,
    completion_mails,
    items_of,
    outbox_for,
    process_env,
    statuses,
    subscriptions_per_item,
)
from tests.provisioning import cloud_setup
from tests.support import wait_for

pytestmark = pytest.mark.slow

IMPORTS = 500
SCHEDULERS, WORKERS = 2, 3


@pytest.fixture
def processes(app, smtp, tmp_path):
    processes = Processes(process_env(app, smtp.port), tmp_path)
    yield processes
    processes.stop_all()


def schedule_one(user, customer, product, run_at, n: int) -> int:
    """Through the real service, as the wizard's last step."""
    draft = new_service.get_draft(user, customer, create=True)
    draft.choose(product)
    draft.config = {**new_service.default_config(product, customer), "name": f"many-{n}"}
    return provisioning.schedule_import(draft, customer, user, run_at, min_lead=timedelta(0)).id


def schedule_many(user, customer, product, run_at, count: int) -> list[int]:
    """In one transaction to keep the drill short."""
    ids = [schedule_one(user, customer, product, run_at, n) for n in range(count)]
    db.session.commit()
    return ids


def all_running() -> bool:
    redis = get_redis()
    schedulers = list(redis.scan_iter(f"{Scheduler.redis_scheduler_namespace_prefix}*"))
    return len(schedulers) == SCHEDULERS and Worker.count(connection=redis) == WORKERS


def make_due(ids, scheduled_at, run_at, user, customer, product) -> list[int]:
    """Move the imports to `run_at` and schedule the last one there through the service, which sends the run of
    that second as it does for any import; the run of the hour ahead is cancelled."""
    db.session.execute(sa.update(Import).where(Import.id.in_(ids)).values(run_at=run_at))
    ids = [*ids, schedule_one(user, customer, product, run_at, len(ids))]
    db.session.commit()
    Scheduler(connection=get_redis()).cancel(provisioning.due_job_id(scheduled_at))
    return ids


def nothing_in_flight() -> bool:
    """No job queued, being run or due, and every worker idle: no duplicate can be on its way."""
    redis = get_redis()
    queues = [Queue(name, connection=redis) for name in QUEUE_NAMES]
    due = redis.zcount(Scheduler.scheduled_jobs_key, 0, utcnow().timestamp())
    return (not due and all(q.count == 0 and StartedJobRegistry(queue=q).count == 0 for q in queues)
            and all(w.get_state() == "idle" for w in Worker.all(connection=redis)))


def all_sent(ids) -> bool:
    emails = outbox_for(ids)
    return len(emails) == IMPORTS and {e.status for e in emails} == {EmailStatus.SENT}


def test_two_schedulers_and_three_workers_run_500_imports_due_in_the_same_second_once_each(
        smtp, processes):
    user, customer, product = cloud_setup()
    scheduled_at = (utcnow() + timedelta(hours=1)).replace(microsecond=0)
    ids = schedule_many(user, customer, product, scheduled_at, IMPORTS - 1)  # before the processes slow it down
    for _ in range(SCHEDULERS):
        processes.start("scheduler", "--interval", "1")
    for _ in range(WORKERS):
        processes.start("worker")
    wait_for(all_running, 120)
    run_at = (utcnow() + timedelta(seconds=4)).replace(microsecond=0)  # 3 to 4 s ahead, all five running
    # Were the move to outlast the lead on a slow machine, the run would be queued at once: still every
    # scheduler and worker racing for the same 500 imports, which is what this drill proves.
    ids = make_due(ids, scheduled_at, run_at, user, customer, product)

    wait_for(lambda: statuses(ids) == {"COMPLETED": IMPORTS}, 120)
    wait_for(lambda: all_sent(ids), 120)
    smtp.wait_for_messages(IMPORTS, 30)
    wait_for(nothing_in_flight, 30)

    items = items_of(ids)
    assert len(items) == IMPORTS
    assert subscriptions_per_item() == dict.fromkeys(items, 1)
    mails = completion_mails(smtp)
    assert len(mails) == IMPORTS and set(mails.values()) == {1}, processes.logs()
    assert len(outbox_for(ids)) == IMPORTS
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportItem)
                             .where(ImportItem.status != "COMPLETED")) == 0
