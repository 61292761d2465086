"""The dev mail catcher (/ops/mail) shows what a message attaches, and hands the attachment back as it was sent:
the "statement ready" e-mail's PDF, byte for byte."""
from datetime import timedelta

import pytest

from devstack import mailbox
from models import Role, db, utcnow
from services.accounts import resellers
from tests.factories import make_reseller, make_user
from tests.mail.test_statement_attachment import close_october
from tests.ops.test_mail_secrets import catch_sent_mail


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "MAIL_CATCHER_DIR": str(tmp_path / "mail")}


def test_ops_see_and_download_the_statement_pdf_a_message_attached(app, client, login, smtp):
    statement = close_october(app)
    [name] = catch_sent_mail(app, smtp)
    [part] = list(smtp.messages[0].iter_attachments())
    sent = part.get_content()
    login(make_user(Role.OPS))

    listing = client.get("/ops/mail").get_data(as_text=True)
    assert f"{statement.number}.pdf" in listing
    received = mailbox.read_message(app.config["MAIL_CATCHER_DIR"], name).received  # the file's name: when caught
    assert abs(received - utcnow()) < timedelta(minutes=5) and "+0000" not in listing  # shown in the viewer's zone
    page = client.get(f"/ops/mail/{name}").get_data(as_text=True)
    assert "Attachments" in page and f"/ops/mail/{name}/attachments/1" in page
    assert f"application/pdf · {(len(sent) + 1023) // 1024} KB" in page

    response = client.get(f"/ops/mail/{name}/attachments/1")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{statement.number}.pdf"'
    assert response.data == sent and sent.startswith(b"%PDF")
    assert client.get(f"/ops/mail/{name}/attachments/2").status_code == 404
    assert client.get(f"/ops/mail/{name}/attachments/0").status_code == 404


def test_in_spanish_and_without_attachments(app, client, login, smtp):
    close_october(app)
    resellers.invite_user(make_reseller(), by=make_user(Role.STAFF), email="newbie@example.com", name="Newbie")
    db.session.commit()
    names = catch_sent_mail(app, smtp, count=2)
    login(make_user(Role.OPS, locale="es"))

    pages = [client.get(f"/ops/mail/{name}").get_data(as_text=True) for name in names]
    [statement] = [page for page in pages if "/attachments/1" in page]
    [invitation] = [page for page in pages if page is not statement]
    assert "Adjuntos" in statement and "application/pdf" in statement
    assert "Adjuntos" not in invitation and "/attachments/" not in invitation
    assert client.get(f"/ops/mail/{names[0]}/attachments/9").status_code == 404
    assert client.get("/ops/mail/not-a-message/attachments/1").status_code == 404
