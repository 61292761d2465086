"""The completion e-mail, read at the real SMTP server: its subject and first line say how the import ended, and it
keeps the fields (who created it and when, in UTC, its type, completed and failed accounts) and links to it."""
import pytest

from jobs.provisioning import run_due_imports
from models import CustomerStatus, db
from tests.provisioning import cloud_setup, due_now
from tests.support import mail_text, run_jobs

pytestmark = pytest.mark.usefixtures("app")


def received(smtp):
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    return message, mail_text(message)


def test_a_completed_import_says_so_with_its_fields_and_a_link(app, smtp):
    user, customer, product = cloud_setup()
    imp = due_now(user, customer, product, name="Oficina central")
    assert run_due_imports() == 1
    message, body = received(smtp)
    assert message["To"] == user.email and message["Subject"] == "Your import is completed"
    assert body.splitlines()[2] == "Your import is completed."
    for line in (f"Import: {imp.name}", f"Created by: {user.name}", "Import type: " + product.sku,
                 f"Date created (UTC): {imp.created_at:%Y-%m-%d %H:%M:%S} UTC", "Completed accounts: 1",
                 "Failed accounts: 0", f"See every detail in Canal: {app.config['PUBLIC_URL'].rstrip('/')}"
                 f"/imports/?open={imp.id}"):
        assert line in body


def test_a_failed_import_says_it_failed_in_the_subject_and_first_line_with_the_reason(smtp):
    user, customer, product = cloud_setup()
    due_now(user, customer, product)
    customer.status = CustomerStatus.INACTIVE  # the run's validation refuses it
    db.session.commit()
    assert run_due_imports() == 1
    message, body = received(smtp)
    assert message["Subject"] == "Your import failed"
    assert body.splitlines()[2] == "Your import failed."
    assert "Completed accounts: 0" in body and "Failed accounts: 1" in body
    assert f"- Parent account not active: the customer {customer.code} is inactive." in body


@pytest.mark.parametrize(("locale", "subject"), [("es", "Su importación se completó"),
                                                 ("en", "Your import is completed")])
def test_the_e_mail_is_in_the_creators_language(smtp, locale, subject):
    user, customer, product = cloud_setup()
    user.locale = locale
    due_now(user, customer, product)
    run_due_imports()
    message, _body = received(smtp)
    assert message["Subject"] == subject
