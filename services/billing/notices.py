"""The "Your statement for <month> is ready" e-mail to each admin of a reseller with a new statement.

Queued through the outbox in the same transaction as the statements (one INSERT for all of them), each in its
recipient's language (outbox.in_language_of), with a link to the statement's page (its PDF and CSV). A statement
of up to ATTACH_MAX_LINES lines also has its PDF attached: the message names it (services/mail/attachments.py)
and the sender renders it in the message's language when it sends it, so the close renders no PDF. The bound is
on lines, known at the close without rendering: a line costs at most ~200 bytes of PDF (measured: 35 to 90 bytes
for a line of full-width random text, more when each line has its own customer heading), so a statement under it
stays under the outbox's 1 MB limit and renders in about a second.
"""
from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.orm import selectinload

from models import Role, Statement, TeamRole, User, db
from models.billing import statement_number
from services.billing import pdf
from services.mail import outbox
from services.mail.attachments import Attachment
from services.mail.outbox import public_url

ATTACH_MAX_LINES = 5000


def _recipients(statement_ids: Collection[int]) -> list[tuple[User, Statement]]:
    stmt = (sa.select(User, Statement).join(Statement, Statement.reseller_id == User.reseller_id)
            .where(Statement.id.in_(list(statement_ids)), User.role == Role.RESELLER,
                   User.team_role == TeamRole.ADMIN, User.enabled.is_(True))
            .order_by(Statement.id, User.id).options(selectinload(User.reseller)))
    return [(user, statement) for user, statement in db.session.execute(stmt)]


def queue_statement_emails(statement_ids: Collection[int]) -> int:
    """One e-mail per admin of each statement's reseller; how many were queued."""
    from services.billing.statements import month_label

    messages = []
    renderers, months = {}, {}  # by locale: the render helpers are set up once per language, not once per e-mail
    for user, statement in _recipients(statement_ids):
        attached = statement.line_count <= ATTACH_MAX_LINES
        with outbox.in_language_of(user):
            locale = str(get_locale())
            render = renderers.get(locale) or renderers.setdefault(locale, outbox.renderer())
            month = months.get((locale, statement.period)) or months.setdefault(
                (locale, statement.period), month_label(statement.period))
            message = render(
                user.email, "statement_ready", month=month, number=statement_number(statement.period, statement.id),
                name=user.name or user.email, attached=attached,
                statement_url=public_url("billing.statement", statement_id=statement.id))
        messages.append({**message, "related_type": "Statement", "related_id": statement.id,
                         **({"attachment_kind": "statement_pdf", "attachment_id": statement.id} if attached else {})})
    if messages:
        outbox.queue_encoded_emails(outbox.encode_emails(messages))
    return len(messages)


def statement_pdf_attachment(statement_id: int) -> Attachment | None:
    """The statement's PDF for its e-mail, in the current language (the message's: services/mail/attachments.py)."""
    statement = db.session.get(Statement, statement_id)
    if statement is None:
        return None
    return Attachment(f"{statement.number}.pdf", pdf.statement_pdf(statement, get_locale()))
