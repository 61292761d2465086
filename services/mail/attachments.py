"""What an outbox message attaches: named on its row, rendered when the message is sent.

The row keeps a reference (`attachment_kind`, `attachment_id`) and the language it was written in (`locale`), not
the bytes: the outbox stays small, queueing costs nothing (a month's close queues a thousand statement e-mails in
one INSERT), and each attempt renders the same document again, because what it renders never changes (a closed
statement). A renderer takes the id and returns an Attachment, or None when there is nothing to attach (the
object is gone): the message then goes without it, its link still leads there. An attachment above MAX_BYTES is
left out the same way (the caller decides by a cheap bound first, e.g. a statement's line count).

A renderer that fails raises AttachmentError: the sender counts a failed attempt and retries with backoff, as for
an SMTP error, so a broken renderer ends in FAILED instead of looping.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale

from models import OutboxEmail

log = logging.getLogger(__name__)

MAX_BYTES = 1024 * 1024
# kind -> "module.function" taking the id (imported when used: the outbox does not depend on the domains)
RENDERERS = {"statement_pdf": "services.billing.notices.statement_pdf_attachment"}


class AttachmentError(Exception):
    pass


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


def render(email: OutboxEmail) -> Attachment | None:
    """The message's attachment, rendered in its language; None if it has none (or it is gone, or too large)."""
    if not email.attachment_kind:
        return None
    path = RENDERERS.get(email.attachment_kind)
    if path is None:
        log.warning("E-mail %s: no renderer for attachment %r; sent without it", email.id, email.attachment_kind)
        return None
    module, _, name = path.rpartition(".")
    try:
        with force_locale(email.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            attachment = getattr(importlib.import_module(module), name)(email.attachment_id)
    except Exception as exc:  # any failure of a renderer is one failed attempt, retried like an SMTP error
        raise AttachmentError(f"{email.attachment_kind} {email.attachment_id}: {type(exc).__name__}: {exc}") from exc
    if attachment is not None and len(attachment.content) > MAX_BYTES:
        log.warning("E-mail %s: %s is %d bytes; sent without it", email.id, attachment.filename,
                    len(attachment.content))
        return None
    return attachment
