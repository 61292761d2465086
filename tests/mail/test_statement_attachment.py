"""The "statement ready" e-mail carries the statement's PDF, rendered when it is sent, read back at the SMTP server."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from jobs.mail import send_email
from models import EmailStatus, OutboxEmail, Statement, db, utcnow
from services.billing import notices, statements
from services.mail import attachments
from tests.billing import adjustment, at, make_subscription
from tests.factories import make_customer, make_user
from tests.support import mail_text, run_jobs

pytestmark = pytest.mark.usefixtures("app")


def close_october(app, user=None, extra_lines: int = 1) -> Statement:
    app.config["TAX_RATE"] = "0.22"
    user = user or make_user()
    customer = make_customer(user.reseller, name="Peña Hermanos", code="PH-1")
    make_subscription(user.reseller, customer, start=at("2026-10-03 09:00"), quantity=3, unit_price="7.20")
    for n in range(extra_lines):
        adjustment(user.reseller_id, "0.10", "2026-10-20 00:00", f"adj-{user.id}-{n}")
    db.session.commit()
    [statement_id] = statements.close_month("2026-10")
    db.session.commit()
    return db.session.get(Statement, statement_id)


def statement_email(statement: Statement) -> OutboxEmail:
    return db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.related_type == "Statement",
                                                          OutboxEmail.related_id == statement.id))


def pdf_text(message) -> tuple[str, str]:
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "application/pdf"
    reader = PdfReader(io.BytesIO(part.get_content()))
    return part.get_filename(), "\n".join(page.extract_text() for page in reader.pages)


def test_the_statement_email_attaches_its_pdf_with_the_total(app, smtp):
    statement = close_october(app)
    assert statement.total == Decimal("26.47")  # 21.60 + 0.10, + 22 % (4.774 -> 4.77)
    email = statement_email(statement)
    assert (email.attachment_kind, email.attachment_id, email.locale) == ("statement_pdf", statement.id, "en")
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert "Its PDF is attached" in mail_text(message) and f"/billing/statements/{statement.id}" in mail_text(message)
    assert message.get_body(preferencelist=("html",)) is not None  # the HTML part is still there
    filename, text = pdf_text(message)
    assert filename == f"{statement.number}.pdf" and statement.number in text
    assert re.findall(r"\$([\d,]+\.\d\d)", text)[-3:] == ["21.70", "4.77", "26.47"]  # subtotal, tax, total


def test_the_attachment_is_in_the_recipients_language(app, smtp):
    user = make_user()
    user.locale = "es"
    statement = close_october(app, user)
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert "PDF" in mail_text(message) and "octubre de 2026" in message["Subject"]
    _filename, text = pdf_text(message)
    assert "26,47" in text and "octubre de 2026" in text and "Peña Hermanos" in text
    assert statement_email(statement).locale == "es_UY"  # the factories' resellers are in Uruguay


def test_a_large_statement_goes_with_its_link_only(app, smtp, monkeypatch):
    monkeypatch.setattr(notices, "ATTACH_MAX_LINES", 2)  # the statement has 3 lines
    statement = close_october(app, extra_lines=2)
    assert statement_email(statement).attachment_kind == ""
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert list(message.iter_attachments()) == [] and "attached" not in mail_text(message)
    assert f"/billing/statements/{statement.id}" in mail_text(message)


def test_an_attachment_over_the_byte_limit_is_left_out(app, smtp, monkeypatch):
    statement = close_october(app)
    monkeypatch.setattr(attachments, "MAX_BYTES", 100)
    assert send_email(statement_email(statement).id) == "sent"
    [message] = smtp.wait_for_messages(1)
    assert list(message.iter_attachments()) == []


def broken_renderer(statement_id: int):
    raise RuntimeError(f"no PDF for {statement_id} today")


def test_a_failing_render_is_a_failed_attempt_retried_later_with_the_attachment(app, smtp, monkeypatch):
    statement = close_october(app)
    email = statement_email(statement)
    monkeypatch.setitem(attachments.RENDERERS, "statement_pdf", f"{__name__}.broken_renderer")
    assert send_email(email.id) == "retry"
    db.session.refresh(email)
    assert email.status is EmailStatus.QUEUED and email.attempts == 1 and "no PDF for" in email.last_error
    assert smtp.messages == []  # nothing went without its attachment

    monkeypatch.undo()
    email.next_attempt_at = utcnow() - timedelta(seconds=1)  # the backoff has passed
    db.session.commit()
    assert send_email(email.id) == "sent"
    [message] = smtp.wait_for_messages(1)
    assert statement.number in pdf_text(message)[1]
    db.session.refresh(email)
    assert email.status is EmailStatus.SENT and email.attempts == 2


def test_smtp_down_then_back_sends_the_attachment_once(app, smtp):
    statement = close_october(app)
    email = statement_email(statement)
    smtp.stop()
    assert send_email(email.id) == "retry"
    smtp.start()
    email.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert send_email(email.id) == "sent" and send_email(email.id) == "not due"
    [message] = smtp.wait_for_messages(1)
    assert pdf_text(message)[0] == f"{statement.number}.pdf"
