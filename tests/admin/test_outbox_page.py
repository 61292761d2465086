"""The e-mail outbox page: every message, filter by status, pages, one message, retry a failure."""
from datetime import timedelta

import pytest

from models import AuditEvent, EmailStatus, OutboxEmail, Role, db, utcnow
from queues import get_queue
from tests.factories import make_user
from tests.support import HX, run_jobs


@pytest.fixture
def staff(login):
    return login(make_user(Role.STAFF))


def make_email(status=EmailStatus.SENT, **kw) -> OutboxEmail:
    fields = {"to_addr": "ana@example.com", "subject": "Hello", "body_text": "Body\n", "template": "ops_test",
              "status": status, **kw}
    email = OutboxEmail(**fields)
    db.session.add(email)
    db.session.flush()
    return email


def test_lists_every_message_with_its_delivery_state(client, staff):
    make_email(EmailStatus.SENT, subject="Your order", attempts=1, sent_at=utcnow())
    make_email(EmailStatus.FAILED, subject="Activation", to_addr="bob@example.com", attempts=6,
               last_error="SMTPRecipientsRefused: 550 no such user")
    db.session.commit()
    html = client.get("/admin/outbox/").get_data(as_text=True)
    for text in ("Your order", "Activation", "bob@example.com", "550 no such user", "FAILED", "SENT"):
        assert text in html
    assert html.count(">Retry</button>") == 1  # only the failed one


def test_filter_by_status_in_the_query_string(client, staff):
    make_email(EmailStatus.SENT, subject="Delivered one")
    make_email(EmailStatus.FAILED, subject="Broken one")
    db.session.commit()
    html = client.get("/admin/outbox/?status=FAILED").get_data(as_text=True)
    assert "Broken one" in html and "Delivered one" not in html
    fragment = client.get("/admin/outbox/?status=SENT", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and "Delivered one" in fragment and "Broken one" not in fragment
    assert "No messages match this filter." in client.get("/admin/outbox/?status=QUEUED").get_data(as_text=True)
    bad = client.get("/admin/outbox/?status=BOGUS")
    assert bad.status_code == 422 and 'id="status-error"' in bad.get_data(as_text=True)


def test_newest_first_in_pages_of_fifty(client, staff):
    emails = [make_email(subject=f"Message {n:03d}") for n in range(60)]
    db.session.commit()
    first = client.get("/admin/outbox/").get_data(as_text=True)
    assert "Message 059" in first and "Message 010" in first and "Message 009" not in first
    assert first.index("Message 059") < first.index("Message 058")
    older = f"before={emails[10].id}"
    assert older in first
    second = client.get(f"/admin/outbox/?{older}").get_data(as_text=True)
    assert "Message 009" in second and "Message 000" in second and "Message 010" not in second
    assert "rel=\"next\"" not in second and "Newest" in second


def test_empty_outbox(client, staff):
    assert "No e-mail has been sent yet." in client.get("/admin/outbox/").get_data(as_text=True)


def test_one_message_shows_its_text_escaped(client, staff):
    email = make_email(subject="<b>Subject</b>", body_text="<script>alert(1)</script>\nLine two\n",
                       last_error="boom")
    db.session.commit()
    html = client.get(f"/admin/outbox/{email.id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "&lt;b&gt;Subject&lt;/b&gt;" in html and "Line two" in html and "boom" in html
    assert client.get("/admin/outbox/999999").status_code == 404


def test_retry_a_failed_message_sends_it_and_is_audited(client, staff, smtp):
    email = outbox_failed_email()
    response = client.post(f"/admin/outbox/{email.id}/retry")
    assert response.status_code == 303
    assert f"send-email-{email.id}" in get_queue("mail").job_ids
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert message["To"] == "carla@example.com"
    db.session.refresh(email)
    assert email.status is EmailStatus.SENT
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "email.retry"))
    assert (event.actor_id, event.object_type, event.object_id) == (staff.id, "OutboxEmail", str(email.id))
    assert "is queued again." in client.get(f"/admin/outbox/{email.id}").get_data(as_text=True)


def test_retry_refuses_a_message_that_did_not_fail(client, staff):
    email = make_email(EmailStatus.SENT)
    db.session.commit()
    assert client.post(f"/admin/outbox/{email.id}/retry").status_code == 303
    html = client.get(f"/admin/outbox/{email.id}").get_data(as_text=True)
    assert "Only a failed message can be retried; this one is SENT." in html
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == 0


def outbox_failed_email() -> OutboxEmail:
    from services.mail import outbox

    email = outbox.queue_email("carla@example.com", "ops_test", sent_at="now")
    email.status, email.attempts, email.last_error = EmailStatus.FAILED, 6, "OSError: refused"
    email.created_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    get_queue("mail").empty()  # the first attempt's job is long gone
    return email
