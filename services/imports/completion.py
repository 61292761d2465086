"""How an import ended, in words: the status people see (My imports, Admin → Imports) and the completion e-mail.

One outcome for pages and e-mail alike: COMPLETED with failed items is "Completed with errors" (a file import
whose valid rows were imported), FAILED is "Failed", COMPLETED is "Completed". The e-mail's subject and first
line say it; its fields are the import, who created it and when (UTC), its type, its completed and failed
accounts, why items failed (the first few) and a link to it.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from models import Import, ImportItem, ImportSource, ImportStatus, ItemStatus, User, db
from services import locales
from services.mail import outbox

COMPLETED_WITH_ERRORS = "COMPLETED_WITH_ERRORS"
MAX_REASONS = 10  # failed items explained in the e-mail; the rest are counted
QUIET_WHEN_DONE = (ImportSource.CHANGE, ImportSource.SCHEDULED_CHANGE)


def shown_status(status: ImportStatus | str, failed_count: int) -> str:
    """The status shown for an import: its stored status, or COMPLETED_WITH_ERRORS when some items failed."""
    value = ImportStatus(status).value
    return COMPLETED_WITH_ERRORS if value == ImportStatus.COMPLETED and failed_count else value


@dataclass
class Ended:
    """What the completion e-mail says about an import that ended."""

    import_id: int
    source: ImportSource
    name: str
    import_type: str
    created_at: datetime
    creator_email: str
    creator_name: str
    creator_locale: str | None
    status: ImportStatus
    completed: int
    failed: int
    failures: Sequence[tuple[int | None, Sequence[str]]]  # the first failed items: (CSV row or None, reasons)


def emails(ended: Sequence[Ended]) -> dict[int, dict]:
    """The completion e-mail of each import, in its creator's language, as outbox rows (outbox.encode_emails)
    by import id: the render helpers are set up once per language, not once per e-mail."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]

    def language(end: Ended) -> str:
        return end.creator_locale or default

    # A subscription change that went through e-mails its own figures (services.subscriptions.changes.tell);
    # one that failed is told here, with the reason.
    ended = [end for end in ended if not (end.source in QUIET_WHEN_DONE and end.status is ImportStatus.COMPLETED
                                          and not end.failed)]
    rendered = {}
    my_imports = outbox.public_url("imports.index") if ended else ""  # built once: a batch has hundreds of links
    for locale, same_language in groupby(sorted(ended, key=language), key=language):
        with force_locale(locale):
            render = outbox.renderer()
            rendered.update((end.import_id, _email(render, end, my_imports)) for end in same_language)
    return rendered


def queue(end: Ended) -> None:
    """Queue one completion e-mail (sent after commit)."""
    outbox.queue_encoded_emails(outbox.encode_emails(list(emails([end]).values())))


def ended(import_id: int) -> Ended:
    """What the e-mail says about an import that ended, read from the database (the counts its runs wrote)."""
    row = db.session.execute(
        sa.select(Import.id, Import.source, Import.name, Import.import_type, Import.created_at, User.email, User.name,
                  User.locale, Import.status, Import.completed_count, Import.failed_count)
        .join(User, User.id == Import.created_by_id).where(Import.id == import_id)).one()
    failures = db.session.execute(
        sa.select(ImportItem.row_number, ImportItem.reasons)
        .where(ImportItem.import_id == import_id, ImportItem.status == ItemStatus.FAILED)
        .order_by(ImportItem.row_number, ImportItem.id).limit(MAX_REASONS)).all()
    return Ended(*row, failures=[tuple(failure) for failure in failures])


def _email(render: Callable[..., dict], end: Ended, my_imports: str) -> dict:
    email = render(end.creator_email, "import_completed", outcome=shown_status(end.status, end.failed),
                   import_name=end.name, created_by=end.creator_name or end.creator_email, created_at=end.created_at,
                   import_type=end.import_type, status=end.status.value, completed=end.completed, failed=end.failed,
                   reasons=_reason_lines(end), link=_link(end, my_imports))
    return {**email, "related_type": "Import", "related_id": end.import_id}


def _reason_lines(end: Ended) -> list[str]:
    lines = []
    for row, reasons in end.failures[:MAX_REASONS]:
        text = " ".join(map(locales.translate_stored, reasons))
        lines.append(_("Row %(n)s: %(reasons)s", n=row, reasons=text) if row is not None else text)
    if end.source is ImportSource.FILE and end.failed > len(lines):
        lines.append(_("… and %(n)s more: download the failed rows from My imports.", n=end.failed - len(lines)))
    return lines


def _link(end: Ended, my_imports: str) -> str:
    """A file import's own page; a scheduled import's row opened in My imports."""
    if end.source is ImportSource.FILE:
        return outbox.public_url("imports.file_show", import_id=end.import_id)
    return f"{my_imports}?open={end.import_id}"
