"""Periodic subscription work (jobs.schedule PERIODIC): term ends become renew/expire imports, reminders go out.

Both are safe to run twice or at once (services.subscriptions.renewals: once-only keys)."""
from __future__ import annotations

from models import db, utcnow
from services.subscriptions import renewals


def create_term_ends() -> int:
    made = renewals.create_term_ends(utcnow())
    db.session.commit()
    return made


def send_reminders() -> int:
    sent = renewals.send_reminders(utcnow())
    db.session.commit()
    return sent
