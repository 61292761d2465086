"""The outbox sender against a real SMTP server, including when that server is down."""
from datetime import timedelta

import pytest
from rq_scheduler import Scheduler

from jobs.mail import send_email
from models import EmailStatus, OutboxEmail, Role, db, utcnow
from queues import get_queue, get_redis
from services.mail import outbox
from services.mail.addresses import AddressError
from tests.factories import make_user
from tests.support import mail_text, run_jobs

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


def queue_test_email(to="ana@example.com") -> OutboxEmail:
    email = outbox.queue_email(to, "ops_test", sent_at="2026-11-22 10:00:00")
    db.session.commit()
    return email


def test_a_committed_email_is_delivered_by_the_worker(smtp):
    email = queue_test_email()
    assert get_queue("mail").job_ids == [f"send-emails-{email.id}"]  # the batch job, not the sweep's id
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert message["To"] == "ana@example.com"
    assert message["Subject"] == "Canal test message: e-mail delivery works"
    assert "2026-11-22 10:00:00" in mail_text(message)
    db.session.refresh(email)
    assert (email.status, email.attempts, email.sent_at is not None) == (EmailStatus.SENT, 1, True)


def test_sending_twice_delivers_once(smtp):
    email = queue_test_email()
    assert send_email(email.id) == "sent"
    assert send_email(email.id) == "not due"
    assert len(smtp.wait_for_messages(1)) == 1


def test_smtp_down_keeps_the_message_queued_with_a_scheduled_retry(smtp):
    email = queue_test_email()
    smtp.stop()
    assert send_email(email.id) == "retry"
    db.session.refresh(email)
    assert email.status is EmailStatus.QUEUED and email.attempts == 1
    assert "Connection refused" in email.last_error or "Errno" in email.last_error
    assert email.next_attempt_at > utcnow()
    scheduled = [job.id for job in Scheduler(connection=get_redis(), queue_name="mail").get_jobs()]
    assert f"send-email-{email.id}-retry-1" in scheduled
    assert send_email(email.id) == "not due"  # too early for the next attempt: nothing happens

    smtp.start()
    email.next_attempt_at = utcnow() - timedelta(seconds=1)  # time passes
    db.session.commit()
    assert send_email(email.id) == "sent"
    assert len(smtp.wait_for_messages(1)) == 1
    db.session.refresh(email)
    assert (email.status, email.attempts) == (EmailStatus.SENT, 2)


def test_backoff_doubles_and_gives_up_after_max_attempts(app, smtp):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    email = queue_test_email()
    smtp.stop()
    delays = []
    for _ in range(3):
        before = utcnow()
        send_email(email.id)
        db.session.refresh(email)
        if email.next_attempt_at:
            delays.append(round((email.next_attempt_at - before).total_seconds()))
            email.next_attempt_at = utcnow()
            db.session.commit()
    assert delays == [30, 60]
    assert email.status is EmailStatus.FAILED and email.attempts == 3

    smtp.start()
    outbox.retry(email)  # by hand, from the outbox page
    db.session.commit()
    run_jobs("mail")
    assert len(smtp.wait_for_messages(1)) == 1
    db.session.refresh(email)
    assert email.status is EmailStatus.SENT


def test_a_crashed_send_is_taken_over_when_its_lease_ends(smtp):
    email = queue_test_email()
    assert outbox.claim(email.id) is not None  # a worker claimed it, then died
    db.session.commit()
    assert send_email(email.id) == "not due"
    email.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert send_email(email.id) == "sent"
    assert len(smtp.wait_for_messages(1)) == 1


@pytest.mark.parametrize("bad", ["a@b.com\r\nBcc: x@evil.test", "a@b.com, c@d.com", "not-an-address", ""])
def test_header_injection_and_bad_addresses_are_refused(bad):
    with pytest.raises(AddressError):
        outbox.queue_email(bad, "ops_test", sent_at="now")
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail)) == 0


def test_ops_can_send_a_test_email_to_themselves(client, login, smtp):
    user = login(make_user(Role.OPS))
    assert client.post("/ops/mail/test").status_code == 303
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert message["To"] == user.email


def test_a_spanish_subject_and_an_html_part_arrive_intact(app, smtp):
    app.config["MAIL_DEFAULT_SENDER"] = "Canal Señal <no-reply@canal.localhost>"
    link = "https://canal.example.com/activación/" + "x" * 120  # longer than an SMTP line: the body is encoded
    email = OutboxEmail(to_addr="jose@example.com", template="ops_test",
                        subject="Su pedido está listo: ¿año nuevo, contraseña nueva?",
                        body_text=f"Hola José,\nÁbrala aquí: {link}\n",
                        body_html=f'<p>Hola José,</p><p><a href="{link}">Ábrala aquí</a> — ñandú</p>')
    db.session.add(email)
    db.session.commit()
    assert send_email(email.id) == "sent"
    [message] = smtp.wait_for_messages(1)
    assert message["Subject"] == "Su pedido está listo: ¿año nuevo, contraseña nueva?"
    assert (message["From"].addresses[0].display_name, message["To"]) == ("Canal Señal", "jose@example.com")
    assert message["Message-ID"].endswith("@canal.localhost>") and message["Date"].datetime is not None
    assert message.get_content_type() == "multipart/alternative"
    assert mail_text(message) == f"Hola José,\nÁbrala aquí: {link}\n"
    html = message.get_body(preferencelist=("html",))
    assert html.get_content() == f'<p>Hola José,</p><p><a href="{link}">Ábrala aquí</a> — ñandú</p>\n'
