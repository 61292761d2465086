"""Staff cancelling a reseller's import tells the reseller: its creator gets an e-mail, in their language."""
from datetime import timedelta

import pytest

from models import Role, utcnow
from tests.factories import make_user
from tests.provisioning import cloud_setup, schedule
from tests.support import mail_text, run_jobs


@pytest.mark.parametrize("locale,hello", [("en", "Hello "), ("es", "Hola, ")])
def test_the_creator_is_told_when_staff_cancel_their_import(client, login, smtp, locale, hello):
    user, customer, product = cloud_setup()
    user.locale = locale
    imp = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=2))
    login(make_user(Role.STAFF))
    response = client.post(f"/admin/imports/{imp.id}/cancel")
    assert response.status_code == 303
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert message["To"] == user.email and mail_text(message).startswith(hello)
    assert imp.name in mail_text(message) and "http://canal.test/imports/" in mail_text(message)
    assert imp.name in message["Subject"] and message.get_body(preferencelist=("html",)) is not None
