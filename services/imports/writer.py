"""The one writer of import results: progress and outcome of the imports, each item's result, the kinds' own rows
(e.g. subscriptions) and the completion e-mails, in a few statements whatever the batch size (models.json_rows).

Everything is encoded before the first write (SQLite's write lock is then held only while writing). The first
statement writes the imports' progress only where the claim still holds (RUNNING under this token) and
returns those imports; the rest is written for them alone, so a cancelled import, or one whose lease was
recovered and given to another run, never counts twice.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa

from models import Import, ImportItem, ImportStatus, ItemStatus, db, utcnow
from models.json_rows import JsonRows
from services.imports import imports, kinds
from services.imports.import_batch import Outcome
from services.mail import outbox


@dataclass(slots=True)
class Progress:
    """What a run adds to an import's counts; `status` ends it (None: it goes on, a file's next chunk)."""

    import_id: int
    processed: int
    completed: int
    failed: int
    status: ImportStatus | None = None


_PROGRESS = JsonRows(*(Import.__table__.c[name] for name in (
    "id", "processed_count", "completed_count", "failed_count", "status")))
_ITEMS = JsonRows(*(ImportItem.__table__.c[name] for name in ("id", "status", "external_id", "reasons")))


def write(token: str, progress: Sequence[Progress], outcomes: Sequence[Outcome],
          emails: dict[int, dict] | None = None) -> set[int]:
    """Write a run's results where its claim still holds; returns the ids of those imports (flush only)."""
    emails = emails or {}
    writes = _Encoded(progress, outcomes, emails)
    ours = writes.write_progress(token)
    if len(ours) < len(progress):  # some were cancelled or recovered meanwhile: write only what is still ours
        writes = _Encoded([p for p in progress if p.import_id in ours],
                          [o for o in outcomes if o.item.import_id in ours], emails)
    writes.write_the_rest()
    return ours


class _Encoded:
    def __init__(self, progress: Sequence[Progress], outcomes: Sequence[Outcome], emails: dict[int, dict]):
        now = utcnow()
        self.any = bool(progress)
        self.progress = _PROGRESS.param({"id": p.import_id, "processed_count": p.processed,
                                         "completed_count": p.completed, "failed_count": p.failed,
                                         "status": p.status} for p in progress)
        self.items = _ITEMS.param({"id": o.item.id, "status": ItemStatus.FAILED if o.reasons else ItemStatus.COMPLETED,
                                   "external_id": o.external_id, "reasons": o.reasons} for o in outcomes)
        self.records = _records(outcomes, now)
        self.emails = outbox.encode_emails([emails[p.import_id] for p in progress if p.import_id in emails])

    def write_progress(self, token: str) -> set[int]:
        """One statement, which also takes SQLite's write lock for the rest of the batch."""
        if not self.any:
            return set()
        now = utcnow()
        return set(db.session.scalars(_progress_statement(db.engine.dialect.name),
                                      {"rows": self.progress, "token": token, "now": now,
                                       "lease_until": now + imports.lease()}))

    def write_the_rest(self) -> None:
        if not self.any:
            return
        db.session.execute(_item_statement(db.engine.dialect.name), {"rows": self.items})
        for record in self.records:
            record()
        outbox.queue_encoded_emails(self.emails)


def _records(outcomes: Sequence[Outcome], now) -> list[Callable[[], None]]:
    """Each kind's own rows for its items performed (kinds.Kind.record), prepared now."""
    done: dict[str, list[kinds.Done]] = {}
    for o in outcomes:
        if not o.reasons:
            done.setdefault(o.item.kind, []).append((o.item, o.external_id))
    records = []
    for name, performed in done.items():
        record = kinds.get(name).record
        if record is not None:
            records.append(record(performed, now))
    return records


@cache
def _progress_statement(dialect_name: str) -> sa.Update:
    table, rows = Import.__table__, _PROGRESS.table()
    ended = rows.c.status.is_not(None)
    return (sa.update(table)
            .where(table.c.id == rows.c.id, table.c.status == ImportStatus.RUNNING,
                   table.c.claim_token == sa.bindparam("token"))
            .values(processed_count=table.c.processed_count + rows.c.processed_count,
                    completed_count=table.c.completed_count + rows.c.completed_count,
                    failed_count=table.c.failed_count + rows.c.failed_count,
                    status=sa.func.coalesce(rows.c.status, table.c.status),
                    finished_at=sa.case((ended, sa.bindparam("now", type_=table.c.finished_at.type)),
                                        else_=table.c.finished_at),
                    lease_until=sa.case((ended, sa.null()),
                                        else_=sa.bindparam("lease_until", type_=table.c.lease_until.type)),
                    claim_token=sa.case((ended, sa.null()), else_=table.c.claim_token))
            .returning(table.c.id))


@cache
def _item_statement(dialect_name: str) -> sa.Update:
    table, rows = ImportItem.__table__, _ITEMS.table()
    return (sa.update(table).where(table.c.id == rows.c.id)
            .values(status=rows.c.status, external_id=rows.c.external_id, reasons=rows.c.reasons))
