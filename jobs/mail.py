"""Delivering outbox e-mail."""
from __future__ import annotations

import smtplib
from collections import Counter

from models import db
from services import outbox


def send_email(email_id: int) -> str:
    """Claim, send and mark one outbox message. Safe to run twice: only one run can claim it."""
    with _Connection() as connection:
        return _send_one(email_id, connection)


def send_emails(email_ids: list[int]) -> dict[str, int]:
    """Send several messages over one SMTP connection; each is claimed, sent and marked on its own."""
    with _Connection() as connection:
        return dict(Counter(_send_one(email_id, connection) for email_id in email_ids))


def _send_one(email_id: int, connection: _Connection) -> str:
    outbox.without_waiting_for_disk()
    email = outbox.claim(email_id)
    db.session.commit()  # the claim (and the attempt count) is committed before we talk to SMTP
    if email is None:
        return "not due"
    outbox.without_waiting_for_disk()
    try:
        outbox.deliver(email, connection.get())
    except (smtplib.SMTPException, OSError) as exc:
        connection.drop()  # the next message starts on a fresh connection
        outbox.record_failure(email, f"{type(exc).__name__}: {exc}")
        db.session.commit()
        return "retry" if email.status.value == "QUEUED" else "failed"
    outbox.mark_sent(email)
    db.session.commit()
    return "sent"


class _Connection:
    """An SMTP connection opened at the first message that needs it and reused by the next ones."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None

    def get(self) -> smtplib.SMTP:
        if self.smtp is None:
            self.smtp = outbox.smtp_connection()
        return self.smtp

    def drop(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None

    def __enter__(self) -> _Connection:
        return self

    def __exit__(self, *exc) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.drop()
