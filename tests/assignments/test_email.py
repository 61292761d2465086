"""The activation e-mail as a real SMTP server receives it; SMTP down; resend; retry by hand; polling."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from jobs.mail import send_email
from models import EmailStatus, OutboxEmail, db, utcnow
from tests.assignments.support import assign, setup_pool
from tests.support import HX, mail_text, run_jobs

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


def text(response) -> str:
    return response.get_data(as_text=True)


def emails() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)))


def test_the_customer_receives_the_keys_instructions_and_the_link(smtp):
    user, order, customer = setup_pool(6, name='Acme <b>&</b> Co', email="it@acme.test")
    assignment = assign(order, customer, 2, user)
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    body = mail_text(message)
    assert message["To"] == "it@acme.test"
    assert message["Subject"] == f"Your 2 Windows 11 Pro license keys from {user.reseller.name}"
    for lic in assignment.licenses:
        assert lic.key in body
    assert "Hello Acme <b>&</b> Co," in body  # a text e-mail shows the name as typed
    assert "Windows 11 Pro (KW9-00632)" in body and "Instructions:" in body
    assert f"http://canal.test/activate/{assignment.token}" in body
    html = message.get_body(preferencelist=("html",)).get_content()  # the HTML part: the same, escaped
    assert "Hello Acme &lt;b&gt;&amp;&lt;/b&gt; Co," in html and "<b>&</b>" not in html
    assert all(lic.key in html for lic in assignment.licenses)
    assert f'href="http://canal.test/activate/{assignment.token}"' in html
    # The reseller's message to its customer: its name, replies to the reseller, not to the distributor.
    assert message["From"].addresses[0].display_name == user.reseller.name
    assert message["From"].addresses[0].addr_spec == "no-reply@canal.localhost"
    assert message["Reply-To"].addresses[0].addr_spec == user.email
    assert emails()[0].status is EmailStatus.SENT


def test_smtp_down_stays_queued_with_attempts_then_sent_once_when_back(client, login, smtp):
    user, order, customer = setup_pool(6)
    assignment = assign(order, customer, 2, user)
    login(user)
    smtp.stop()
    run_jobs("mail")
    [email] = emails()
    assert (email.status, email.attempts) == (EmailStatus.QUEUED, 1) and email.last_error
    fragment = client.get(f"/licenses/assignments/{assignment.id}/emails", headers=HX)
    assert fragment.status_code == 200 and "Queued" in text(fragment) and "1 attempt" in text(fragment)
    assert 'hx-trigger="every 2s"' in text(fragment)  # still polling
    assert "Retry now" in text(client.get(f"/licenses/orders/{order.id}"))

    smtp.start()
    email.next_attempt_at = utcnow() - timedelta(seconds=1)  # the backoff has passed
    db.session.commit()
    assert send_email(email.id) == "sent"  # the scheduled retry job
    assert send_email(email.id) == "not due"
    run_jobs("mail")
    assert len(smtp.wait_for_messages(1)) == 1
    [email] = emails()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 2)
    fragment = client.get(f"/licenses/assignments/{assignment.id}/emails", headers=HX)
    assert fragment.status_code == 286 and "Sent" in text(fragment) and "hx-trigger" not in text(fragment)


def test_a_failed_email_can_be_retried_by_hand(app, client, login, smtp):
    app.config["MAIL_MAX_ATTEMPTS"] = 1
    user, order, customer = setup_pool(6)
    assign(order, customer, 1, user)
    login(user)
    smtp.stop()
    run_jobs("mail")
    [email] = emails()
    assert email.status is EmailStatus.FAILED
    html = text(client.get(f"/licenses/orders/{order.id}"))
    assert "Failed" in html and email.last_error.split(":")[0] in html and "Retry now" in html
    smtp.start()
    response = client.post(f"/licenses/emails/{email.id}/retry")
    assert response.status_code == 303
    run_jobs("mail")
    assert len(smtp.wait_for_messages(1)) == 1 and emails()[0].status is EmailStatus.SENT
    response = client.post(f"/licenses/emails/{email.id}/retry", follow_redirects=True)
    assert "This e-mail was already sent" in text(response)
    run_jobs("mail")
    assert len(smtp.messages) == 1


def test_resend_to_the_customer_and_to_another_address(client, login, smtp):
    user, order, customer = setup_pool(6, email="it@acme.test")
    assignment = assign(order, customer, 2, user)
    login(user)
    run_jobs("mail")
    smtp.wait_for_messages(1)
    response = client.post(f"/licenses/assignments/{assignment.id}/resend")  # a minute after the first: asks
    page = text(client.get(response.headers["Location"]))
    assert "An activation e-mail went to it@acme.test less than a minute ago." in page
    assert 'data-confirm-yes="Yes, send another"' in page and 'name="again" value="1"' in page
    assert len(emails()) == 1
    response = client.post(f"/licenses/assignments/{assignment.id}/resend", data={"again": "1"})
    assert response.status_code == 303
    assert "The activation e-mail was queued again for it@acme.test." in text(client.get(response.headers["Location"]))
    for email in emails():  # a minute later a resend no longer asks
        email.created_at -= timedelta(minutes=2)
    db.session.commit()
    assert 'name="again"' not in text(client.get(f"/licenses/orders/{order.id}"))
    response = client.post(f"/licenses/assignments/{assignment.id}/send", data={"email": "boss@acme.test"})
    assert response.status_code == 303
    run_jobs("mail")
    messages = smtp.wait_for_messages(3)
    assert [m["To"] for m in messages] == ["it@acme.test", "it@acme.test", "boss@acme.test"]
    assert all(lic.key in mail_text(m) for m in messages for lic in assignment.licenses)
    html = text(client.get(f"/licenses/orders/{order.id}"))
    assert html.count("Sent</span>") == 3 and "boss@acme.test" in html


def test_send_to_a_bad_or_injected_address_is_refused_next_to_the_field(client, login, smtp):
    user, order, customer = setup_pool(6)
    assignment = assign(order, customer, 1, user)
    login(user)
    for address in ("boss@acme.test\r\nBcc: all@evil.test", "boss@acme.test\nX: y", "a@b.test, c@d.test", "nope"):
        response = client.post(f"/licenses/assignments/{assignment.id}/send", data={"email": address})
        html = text(response)
        assert response.status_code == 422, address
        error = f'<small class="field-error" id="send-to-{assignment.id}-error">Enter a valid e-mail address.</small>'
        assert error in html
        assert "<details class=\"send-to\" open>" in html
    response = client.post(f"/licenses/assignments/{assignment.id}/send", data={"email": ""})
    assert response.status_code == 422 and "Enter an e-mail address." in text(response)
    assert len(emails()) == 1
