"""Delivering outbox e-mail."""
from __future__ import annotations

import smtplib

from models import db
from services import outbox


def send_email(email_id: int) -> str:
    """Claim, send and mark one outbox message. Safe to run twice: only one run can claim it."""
    email = outbox.claim(email_id)
    db.session.commit()  # the claim (and the attempt count) is durable before we talk to SMTP
    if email is None:
        return "not due"
    try:
        outbox.deliver(email)
    except (smtplib.SMTPException, OSError) as exc:
        outbox.record_failure(email, f"{type(exc).__name__}: {exc}")
        db.session.commit()
        return "retry" if email.status.value == "QUEUED" else "failed"
    outbox.mark_sent(email)
    db.session.commit()
    return "sent"
