"""The SMTP server is down for a while: messages stay QUEUED with their attempts counted, then each is
delivered exactly once when it returns, whichever of the sweep and the scheduled retries gets there first."""
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app
from rq_scheduler import Scheduler

from jobs.sweep import sweep
from models import EmailStatus, OutboxEmail, db, utcnow
from queues import AppContextJob, get_redis
from services.mail import outbox
from tests.support import run_jobs

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app

RECIPIENTS = [f"outage{n}@example.com" for n in range(5)]


def emails() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)))


def make_due() -> None:
    """What waiting out the backoff would do (and old enough for the sweep to look at them)."""
    past = utcnow() - timedelta(minutes=5)
    db.session.execute(sa.update(OutboxEmail).where(OutboxEmail.status == EmailStatus.QUEUED)
                       .values(next_attempt_at=past, created_at=past))
    db.session.commit()


def test_smtp_down_keeps_mail_queued_with_attempts_then_delivers_each_once(smtp):
    for to in RECIPIENTS:
        outbox.queue_email(to, "ops_test", sent_at="now")
    db.session.commit()
    smtp.stop()

    run_jobs("mail")  # first attempt of each: connection refused
    first_backoff = {e.id: e.next_attempt_at for e in emails()}  # its failure's time + MAIL_RETRY_BASE_SECONDS
    make_due()
    assert sweep()["emails"] == len(RECIPIENTS)
    run_jobs("mail")  # second attempt, through the sweep
    rows = emails()
    assert {(e.status, e.attempts) for e in rows} == {(EmailStatus.QUEUED, 2)}
    # Backing off, reason kept: the second failure (later) waits twice as long, so its next attempt is at
    # least one base delay after the one the first failure stored (stored times only, no wall clock).
    base = timedelta(seconds=current_app.config["MAIL_RETRY_BASE_SECONDS"])
    assert all(e.last_error and e.next_attempt_at - first_backoff[e.id] >= base for e in rows)
    scheduler = Scheduler(connection=get_redis(), queue_name="mail", job_class=AppContextJob)
    assert len(list(scheduler.get_jobs())) == 2 * len(RECIPIENTS)  # each failure scheduled its retry

    smtp.start()
    make_due()
    sweep()
    run_jobs("mail")
    for job in list(scheduler.get_jobs()):  # the backoff retries fire late: they must find nothing to do
        scheduler.enqueue_job(job)
    run_jobs("mail")
    sweep()
    run_jobs("mail")

    rows = emails()
    assert {(e.status, e.attempts) for e in rows} == {(EmailStatus.SENT, 3)}
    received = Counter((m["To"], m["Subject"]) for m in smtp.wait_for_messages(len(RECIPIENTS)))
    assert received == {(to, rows[0].subject): 1 for to in RECIPIENTS}
