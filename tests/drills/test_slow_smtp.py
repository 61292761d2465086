"""An SMTP server so slow that a send outlasts the e-mail lease, with the sweep running meanwhile: the
sender keeps renewing its claim while it sends, so the sweep leaves the message alone and every message
of the batch arrives exactly once."""
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from jobs.sweep import sweep
from models import EmailStatus, OutboxEmail, db, utcnow
from services.mail import outbox
from tests import conftest
from tests.drills.slow_smtp import HoldingSMTP
from tests.drills.support import Processes, process_env
from tests.support import run_jobs, wait_for

pytestmark = pytest.mark.slow

SLOW = "second@example.com"
RECIPIENTS = ["first@example.com", SLOW, "third@example.com"]
WORKER_MAIL_TIMEOUT = 10  # config.py's default, which `flask jobs worker` runs with: it renews every 5 s


@pytest.fixture
def slow_smtp():
    # Holds the second message's answer up to just under the sender's socket timeout, as a slow server may.
    server = HoldingSMTP(hold_to=SLOW, longest=WORKER_MAIL_TIMEOUT - 1)
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


def email_to(to: str) -> OutboxEmail:
    db.session.expire_all()
    return db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.to_addr == to))


def statuses() -> dict[str, EmailStatus]:
    db.session.expire_all()
    return {e.to_addr: e.status for e in db.session.scalars(sa.select(OutboxEmail))}


def test_a_send_that_outlasts_the_lease_is_not_taken_over_by_the_sweep(slow_smtp, processes):
    for to in RECIPIENTS:  # one transaction: one sending job for the three
        outbox.queue_email(to, "ops_test", sent_at="now")
    db.session.commit()
    processes.start("worker", "mail")
    assert slow_smtp.handler.entered.wait(60), processes.logs()  # the second message is being sent
    assert statuses() == {RECIPIENTS[0]: EmailStatus.SENT, SLOW: EmailStatus.SENDING,
                          RECIPIENTS[2]: EmailStatus.QUEUED}

    # What a send slower than the lease would do: the lease taken when the message was claimed is over.
    ran_out = utcnow() - timedelta(minutes=5)
    db.session.execute(sa.update(OutboxEmail).values(created_at=ran_out))
    db.session.execute(sa.update(OutboxEmail).where(OutboxEmail.to_addr == SLOW).values(locked_until=ran_out))
    db.session.commit()
    # The sender is still at it, so it renews its claim (a real process: a bounded wait, no timing assertion).
    wait_for(lambda: email_to(SLOW).locked_until > ran_out, WORKER_MAIL_TIMEOUT / 2 + 2)

    assert sweep()["emails"] == 1  # the third message, waiting behind the slow one; not the one being sent
    run_jobs("mail")
    assert statuses()[RECIPIENTS[2]] is EmailStatus.SENT
    slow_smtp.release()

    wait_for(lambda: statuses() == dict.fromkeys(RECIPIENTS, EmailStatus.SENT), 30)
    assert sweep()["emails"] == 0
    assert Counter(m["To"] for m in slow_smtp.messages) == dict.fromkeys(RECIPIENTS, 1)
    assert email_to(SLOW).attempts == 1
