"""SIGKILL a `flask jobs worker` (and its work horse) in the middle of sending an e-mail. Its job stays
STARTED in Redis with nobody running it; once the lease and the worker's heartbeat are over, the sweep
recognises the dead job, enqueues the message again, and each message arrives exactly once."""
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from rq import Worker
from rq.utils import utcformat

from jobs.sweep import sweep
from models import EmailStatus, OutboxEmail, db, utcnow
from queues import AppContextJob, enqueue_unique, get_queue, get_redis
from services.mail import outbox
from tests import conftest
from tests.drills.slow_smtp import HoldingSMTP
from tests.drills.support import Processes, kill_session, process_env
from tests.support import run_jobs

pytestmark = pytest.mark.slow

FIRST = "first@example.com"
RECIPIENTS = [FIRST, "second@example.com", "third@example.com"]


@pytest.fixture
def slow_smtp():
    server = HoldingSMTP(hold_to=FIRST, drop_held=True)  # the killed sender never hears an answer
    yield server
    server.stop()


@pytest.fixture
def app_config(migrated_database, redis_url, slow_smtp):
    return conftest.test_config(migrated_database, redis_url, slow_smtp.port)


@pytest.fixture
def processes(app, slow_smtp, tmp_path):
    processes = Processes(process_env(app, slow_smtp.port), tmp_path)
    yield processes
    processes.stop_all()


def kill_a_worker_inside_the_first_send(processes, slow_smtp) -> None:
    worker = processes.start("worker", "mail")
    assert slow_smtp.handler.entered.wait(60), processes.logs()
    kill_session(worker.pid)  # the worker and its work horse, at once
    worker.wait(10)
    slow_smtp.release()  # the held message is refused: its sender is gone


def time_passes() -> None:
    """What waiting would do: the dead send's lease is over, every message is old enough for the sweep,
    and the dead worker's last heartbeat is long ago (its key lives on in Redis for minutes)."""
    past = utcnow() - timedelta(minutes=10)
    db.session.execute(sa.update(OutboxEmail).values(created_at=past))
    db.session.execute(sa.update(OutboxEmail).where(OutboxEmail.status == EmailStatus.SENDING)
                       .values(locked_until=past))
    db.session.commit()
    for worker in Worker.all(connection=get_redis()):
        get_redis().hset(worker.key, "last_heartbeat", utcformat(past))


def rows() -> dict[str, EmailStatus]:
    db.session.expire_all()
    return {e.to_addr: e.status for e in db.session.scalars(sa.select(OutboxEmail))}


def received(slow_smtp) -> Counter:
    return Counter(m["To"] for m in slow_smtp.messages)


def test_a_batch_whose_worker_died_in_its_first_message_sends_that_message_once(slow_smtp, processes):
    for to in RECIPIENTS:  # one transaction: one sending job for the three
        outbox.queue_email(to, "ops_test", sent_at="now")
    db.session.commit()
    kill_a_worker_inside_the_first_send(processes, slow_smtp)
    assert rows() == {FIRST: EmailStatus.SENDING, **dict.fromkeys(RECIPIENTS[1:], EmailStatus.QUEUED)}

    time_passes()
    assert sweep()["emails"] == len(RECIPIENTS)  # the first one too: the dead batch job is not its job
    run_jobs("mail")
    assert rows() == dict.fromkeys(RECIPIENTS, EmailStatus.SENT)
    assert received(slow_smtp) == dict.fromkeys(RECIPIENTS, 1)


def test_the_sweeps_own_job_that_died_with_its_worker_is_enqueued_again(slow_smtp, processes):
    email = outbox.queue_email(FIRST, "ops_test", sent_at="now")
    db.session.commit()
    get_redis().flushdb()  # its job was lost (a Redis restart): the sweep will give it one
    email.created_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert sweep()["emails"] == 1
    job_id = outbox.send_job_id(email.id)
    worker = processes.start("worker", "mail")
    assert slow_smtp.handler.entered.wait(60), processes.logs()
    # While a live worker holds it, the job is alive: not enqueued a second time.
    assert not enqueue_unique("mail", outbox.SEND_JOB, email.id, job_id=job_id)
    kill_session(worker.pid)
    worker.wait(10)
    slow_smtp.release()
    assert AppContextJob.fetch(job_id, connection=get_redis()).get_status() == "started"  # and nobody runs it

    time_passes()
    assert sweep()["emails"] == 1
    assert get_queue("mail").job_ids == [job_id]
    run_jobs("mail")
    assert rows() == {FIRST: EmailStatus.SENT}
    assert received(slow_smtp) == {FIRST: 1}
