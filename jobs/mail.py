"""Delivering outbox e-mail."""
from __future__ import annotations

import logging
import smtplib
import threading
from collections import Counter

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from models import OutboxEmail, db
from services.mail import attachments, outbox

log = logging.getLogger(__name__)


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
        with _ClaimKept(email):  # rendering an attachment (a statement's PDF) may take a while too
            attachment = attachments.render(email)  # before the connection: an idle one may time out
            outbox.deliver(email, connection.get(), attachment)
    except (smtplib.SMTPException, OSError) as exc:
        connection.drop()  # the next message starts on a fresh connection
        return _failed(email, f"{type(exc).__name__}: {exc}")
    except attachments.AttachmentError as exc:
        log.warning("E-mail %s: could not render its attachment: %s", email_id, exc)
        db.session.rollback()  # whatever the renderer read or broke; the claim was committed before
        return _failed(email, f"Attachment: {exc}")
    outbox.mark_sent(email)
    db.session.commit()
    return "sent"


def _failed(email: OutboxEmail, error: str) -> str:
    outbox.record_failure(email, error)
    db.session.commit()
    return "retry" if email.status.value == "QUEUED" else "failed"


class _ClaimKept:
    """While a message is being sent, a thread renews its claim's lease every MAIL_TIMEOUT / 2 seconds.

    A slow SMTP server can outlast any lease (each of its answers may take up to MAIL_TIMEOUT), and the sweep
    must not take a message over from a sender still at it. A sender that dies stops renewing: the lease runs
    out and the sweep sends the message again. A send that takes less than MAIL_TIMEOUT / 2 renews nothing.
    """

    def __init__(self, email: OutboxEmail) -> None:
        self.email_id, self.attempts = email.id, email.attempts
        self.engine, self.length = db.engine, outbox.lease()
        self.every = current_app.config["MAIL_TIMEOUT"] / 2
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._renew, name=f"claim-email-{email.id}", daemon=True)

    def _renew(self) -> None:
        while not self.done.wait(self.every):
            try:
                with self.engine.begin() as connection:
                    if not outbox.renew_claim(connection, self.email_id, self.attempts, self.length):
                        log.warning("E-mail %s: the claim is no longer ours; not renewed", self.email_id)
                        return
            except SQLAlchemyError:
                log.exception("E-mail %s: could not renew the claim; trying again", self.email_id)

    def __enter__(self) -> _ClaimKept:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join()


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
