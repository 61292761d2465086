"""The real processes: `flask jobs worker` (forking) and the periodic-job registry and sweep."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rq_scheduler import Scheduler

from jobs.schedule import PERIODIC, periodic_job_id, sync_schedule
from jobs.sweep import sweep
from models import EmailStatus, OutboxEmail, db
from queues import LAST_SWEEP_KEY, get_queue, get_redis
from services.mail import outbox
from tests.support import run_jobs

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app

ROOT = Path(__file__).resolve().parents[2]


def test_flask_jobs_worker_delivers_mail_in_a_forked_work_horse(app, smtp):
    email = outbox.queue_email("ana@example.com", "ops_test", sent_at="now")
    db.session.commit()
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               REDIS_URL=app.config["REDIS_URL"], MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp.port))
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "jobs", "worker", "--burst"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert len(smtp.wait_for_messages(1)) == 1
    db.session.expire_all()
    assert db.session.get(OutboxEmail, email.id).status is EmailStatus.SENT


def test_sync_schedule_registers_each_periodic_job_once_and_drops_stale_ones():
    scheduler = Scheduler(connection=get_redis(), queue_name="maintenance")
    scheduler.cron("* * * * *", func="jobs.sweep.sweep", id="periodic-old-deadbeef", queue_name="maintenance")
    sync_schedule(scheduler)
    sync_schedule(scheduler)
    ids = sorted(job.id for job in scheduler.get_jobs())
    assert ids == sorted(periodic_job_id(name, cron) for name, cron, _, _ in PERIODIC)


def test_sweep_re_enqueues_mail_that_lost_its_job(smtp):
    email = outbox.queue_email("ana@example.com", "ops_test", sent_at="now")
    db.session.commit()
    get_redis().flushdb()  # Redis lost everything
    email.created_at = email.created_at.replace(year=2020)  # and it has been a while
    db.session.commit()
    assert sweep() == {"emails": 1}
    assert sweep() == {"emails": 0}  # its job is still queued: not enqueued twice
    assert get_queue("mail").job_ids == [f"send-email-{email.id}"]
    assert get_redis().get(LAST_SWEEP_KEY) is not None
    run_jobs("mail")
    assert len(smtp.wait_for_messages(1)) == 1
