"""Every e-mail Canal sends is first a row here, written with the change that causes it."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import TimestampMixin, db, intpk
from models.types import enum_column


class EmailStatus(StrEnum):
    QUEUED = "QUEUED"      # waiting for (another) attempt; last_error says why a previous one failed
    SENDING = "SENDING"    # claimed by a job until locked_until
    SENT = "SENT"
    FAILED = "FAILED"      # gave up after the last attempt; can be retried by hand


class OutboxEmail(TimestampMixin, db.Model):
    id: Mapped[intpk]
    to_addr: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(255))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    # Whose message it is, when not the distributor's (a reseller's to its customer): the From name, and the
    # address replies go to. The From address itself is always MAIL_DEFAULT_SENDER.
    from_name: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    reply_to: Mapped[str] = mapped_column(sa.String(254), default="", server_default="")
    template: Mapped[str] = mapped_column(sa.String(80))
    status: Mapped[EmailStatus] = enum_column(EmailStatus, default=EmailStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    next_attempt_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    related_type: Mapped[str] = mapped_column(sa.String(40), default="")
    related_id: Mapped[int | None]
    # The language it was written in ("es_UY"): what it attaches is rendered in it when it is sent.
    locale: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    # What it attaches, named rather than stored (services/mail/attachments.py renders it at sending), e.g. a
    # statement's PDF: ("statement_pdf", <statement id>). Empty: nothing attached.
    attachment_kind: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    attachment_id: Mapped[int | None]

    __table_args__ = (sa.Index("ix_outbox_email_related", "related_type", "related_id"),)
