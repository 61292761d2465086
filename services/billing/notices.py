"""The "Your statement for <month> is ready" e-mail to each admin of a reseller with a new statement.

Queued through the outbox in the same transaction as the statements (one INSERT for all of them), each in its
recipient's language (outbox.in_language_of). The outbox keeps no attachments, so the e-mail links to the
statement's page, where the PDF and the CSV are.
"""
from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from models import Role, Statement, TeamRole, User, db
from models.billing import statement_number
from services.mail import outbox
from services.mail.outbox import public_url


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
    for user, statement in _recipients(statement_ids):
        with outbox.in_language_of(user):
            message = outbox.renderer()(
                user.email, "statement_ready", month=month_label(statement.period),
                number=statement_number(statement.period, statement.id), name=user.name or user.email,
                statement_url=public_url("billing.statement", statement_id=statement.id))
        messages.append({**message, "related_type": "Statement", "related_id": statement.id})
    if messages:
        outbox.queue_encoded_emails(outbox.encode_emails(messages))
    return len(messages)
