"""A second's due-imports run is queued a moment early and waits for its second (provisioning.DUE_RUN_LEAD), so
rq-scheduler's 1-second tick no longer makes the imports up to a second late."""
from datetime import timedelta

import pytest
from rq_scheduler import Scheduler

from jobs.provisioning import run_due_imports
from models import ImportStatus, db, utcnow
from queues import get_redis
from services.provisioning import provisioning
from tests.provisioning import cloud_setup, schedule

pytestmark = pytest.mark.usefixtures("app")


def test_the_run_is_queued_a_lead_early_with_its_second():
    user, customer, product = cloud_setup()
    run_at = (utcnow() + timedelta(hours=1)).replace(microsecond=0)
    schedule(user, customer, product, run_at=run_at)
    db.session.commit()
    [(job, queued_for)] = Scheduler(queue_name="default", connection=get_redis()).get_jobs(with_times=True)
    assert job.id == provisioning.due_job_id(run_at) and job.args == (run_at,)
    assert queued_for == (run_at - provisioning.DUE_RUN_LEAD).replace(tzinfo=None)  # rq-scheduler's naive UTC


def test_a_run_started_early_waits_for_its_second_and_runs_what_is_due_then():
    user, customer, product = cloud_setup()
    imp = schedule(user, customer, product, run_at=utcnow() + timedelta(milliseconds=300))  # the next whole second
    db.session.commit()
    due_at = imp.run_at
    assert run_due_imports(due_at) == 1  # without the wait, nothing was due yet: 0
    db.session.expire_all()
    assert imp.status is ImportStatus.COMPLETED and imp.started_at >= due_at


def test_a_run_queued_by_hand_long_before_its_second_does_not_wait():
    user, customer, product = cloud_setup()
    due_at = utcnow() + timedelta(hours=1)
    schedule(user, customer, product, run_at=due_at)
    db.session.commit()
    assert run_due_imports(due_at) == 0  # it returns at once: nothing is due


def test_a_run_started_early_with_more_than_a_batch_due_queues_its_helper_to_wait_with_it(monkeypatch):
    from queues import get_queue
    from services.imports import imports

    monkeypatch.setattr(imports, "BATCH_SIZE", 2)
    user, customer, product = cloud_setup()
    run_at = utcnow() + timedelta(milliseconds=300)  # the next whole second
    imps = [schedule(user, customer, product, run_at=run_at) for _ in range(3)]
    due_at = imps[0].run_at
    assert {imp.run_at for imp in imps} == {due_at}
    assert run_due_imports(due_at) == 3
    helper = get_queue("default").fetch_job("run-due-imports-helper-0")
    assert helper is not None and helper.args == (due_at,)  # queued before the second, to start at it as well
    db.session.expire_all()
    assert {imp.status for imp in imps} == {ImportStatus.COMPLETED}
