"""Redis SHUTDOWN NOSAVE under a live `flask jobs scheduler` and `flask jobs worker`, then an empty Redis
comes back: both processes wait and reconnect, the scheduler registers the periodic sweep again, and the
imports and e-mails written during the outage each run once, with nobody restarting anything. A worker
busy with a job when Redis goes away starts again too."""
import os
import signal
from datetime import timedelta

import pytest
import redis
import sqlalchemy as sa
from rq import Worker
from rq_scheduler import Scheduler

from jobs.schedule import PERIODIC, periodic_job_id
from models import EmailStatus, Import, OutboxEmail, db, utcnow
from queues import get_redis
from services.mail import outbox
from tests import conftest
from tests.drills.slow_smtp import HoldingSMTP
from tests.drills.support import HoldingBridge, Processes, completion_mails, process_env, statuses
from tests.provisioning import cloud_setup, schedule
from tests.support import wait_for

pytestmark = pytest.mark.slow

SWEEP_ID = next(periodic_job_id(name, cron) for name, cron, _, _ in PERIODIC if name == "sweep")
RECIPIENTS = [f"outage{n}@example.com" for n in range(3)]
IMPORTS = 2
HELD = "held@example.com"


@pytest.fixture
def app_config(migrated_database, private_redis, smtp):
    return conftest.test_config(migrated_database, private_redis[0], smtp.port)


@pytest.fixture
def slow_smtp():
    server = HoldingSMTP(hold_to=HELD)
    yield server
    server.stop()


@pytest.fixture
def bridge():
    bridge = HoldingBridge(hold_first=False)
    yield bridge
    bridge.close()


@pytest.fixture
def processes(app, smtp, bridge, tmp_path):
    processes = Processes(process_env(app, smtp.port, bridge.url), tmp_path)
    yield processes
    processes.stop_all()


def shutdown_nosave() -> None:
    try:
        get_redis().shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # the server went away while answering: that is the point


def noticed_the_outage(logs: str) -> bool:
    """RQ's own retry inside its dequeue, or jobs.cli's reconnecting loop when the error came from elsewhere (e.g.
    the heartbeat): which one depends on what the process was doing when Redis went away."""
    return any(sign in logs for sign in ("could not connect to Redis", "lost Redis", "Redis still unreachable"))


def stack_ready() -> bool:
    """The periodic sweep is registered and one worker is listed (what health reports)."""
    try:
        return SWEEP_ID in Scheduler(connection=get_redis()) and Worker.count(connection=get_redis()) == 1
    except redis.ConnectionError:
        return False


def written_long_ago() -> None:
    """What waiting out the outage would do: the imports are due, the messages old enough for the sweep."""
    past = utcnow() - timedelta(minutes=5)
    db.session.execute(sa.update(Import).values(run_at=past))
    db.session.execute(sa.update(OutboxEmail).values(created_at=past))
    db.session.commit()


def email_statuses() -> list[EmailStatus]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxEmail.status)))


def test_scheduler_and_worker_reconnect_after_redis_comes_back_empty(app, smtp, private_redis, bridge, processes):
    _, restart = private_redis
    user, customer, product = cloud_setup()
    scheduler = processes.start("scheduler")
    worker = processes.start("worker")
    wait_for(stack_ready, 60)

    shutdown_nosave()
    for to in RECIPIENTS:
        outbox.queue_email(to, "ops_test", sent_at="now")
    db.session.commit()  # committed; its job could not be sent to Redis
    ids = [schedule(user, customer, product, run_at=utcnow() + timedelta(minutes=1), name=f"outage-{n}").id
           for n in range(IMPORTS)]
    restart()

    wait_for(stack_ready, 60)  # a real wait for real processes: they back off while Redis is away
    assert scheduler.poll() is None and worker.poll() is None, processes.logs()
    written_long_ago()
    sweep_job = Scheduler(connection=get_redis()).job_class.fetch(SWEEP_ID, connection=get_redis())
    Scheduler(connection=get_redis()).change_execution_time(sweep_job, utcnow())  # the next minute, now

    wait_for(lambda: statuses(ids) == {"COMPLETED": IMPORTS}, 60)
    wait_for(lambda: email_statuses() == [EmailStatus.SENT] * (len(RECIPIENTS) + IMPORTS), 60)
    messages = smtp.wait_for_messages(len(RECIPIENTS) + IMPORTS)
    assert sorted(m["To"] for m in messages if m["To"] in RECIPIENTS) == RECIPIENTS
    assert set(completion_mails(smtp).values()) == {1} and len(completion_mails(smtp)) == IMPORTS
    assert len(bridge.provisions) == len(set(bridge.provisions)) == IMPORTS  # one item each, provisioned once
    assert scheduler.poll() is None and worker.poll() is None, processes.logs()


def test_a_worker_busy_with_a_job_when_redis_goes_away_carries_on_once_it_is_back(
        app, private_redis, slow_smtp, tmp_path):
    _, restart = private_redis
    processes = Processes(process_env(app, slow_smtp.port), tmp_path)
    try:
        held = outbox.queue_email(HELD, "ops_test", sent_at="now")
        db.session.commit()
        worker = processes.start("worker", "mail")
        assert slow_smtp.handler.entered.wait(60), processes.logs()  # its work horse is inside the send
        shutdown_nosave()
        slow_smtp.release()  # the send completes while Redis is away
        wait_for(lambda: email_statuses() == [EmailStatus.SENT], 30)
        restart()

        wait_for(lambda: Worker.count(connection=get_redis()) == 1, 60)
        later = outbox.queue_email("later@example.com", "ops_test", sent_at="now")
        db.session.commit()  # Redis is back: its job is enqueued, and the same worker process runs it
        wait_for(lambda: email_statuses() == [EmailStatus.SENT] * 2, 60)
        assert worker.poll() is None, processes.logs()
        assert sorted(m["To"] for m in slow_smtp.messages) == sorted([held.to_addr, later.to_addr])
    finally:
        processes.stop_all()


def test_a_stop_signal_during_the_outage_still_ends_both(app, private_redis, processes):
    scheduler = processes.start("scheduler")
    worker = processes.start("worker")
    wait_for(stack_ready, 60)
    shutdown_nosave()
    wait_for(lambda: noticed_the_outage(processes.logs()), 30)
    for process in (scheduler, worker):
        os.kill(process.pid, signal.SIGTERM)
    for process in (scheduler, worker):
        process.wait(20)  # they no longer wait for Redis once told to stop
