"""Claims on imports, of every source and kind: claim due or one, leases, cancel, retry, lease recovery, attempts.

The engine: claims here, services.imports.runner (validate and perform each item by its kind,
services.imports.kinds), services.imports.writer (the results), services.imports.completion (the e-mail);
CSV rows become items in services.imports.bulk_import; the listing is services.imports.listing.

A claim is a conditional UPDATE (PENDING -> RUNNING with a fresh token and a lease); the result is
written only if the import is still RUNNING under that token, so cancel, a second worker or a
recovered lease can never make an import count twice.

The lease is short (IMPORT_LEASE_SECONDS, half a minute) and renewed while the run works (`renew_lease`: every
import of a batch, every chunk of a file), so the sweep gives a dead run's work to another worker within
about a minute. Each claim counts an attempt; a run that dies IMPORT_MAX_ATTEMPTS times ends FAILED with
"Stopped after N attempts: <why the last one died>" (`fail_exhausted_leases`) instead of running forever.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from models import (
    Import,
    ImportItem,
    ImportSource,
    ImportStatus,
    ItemStatus,
    User,
    db,
    utcnow,
)
from queues import enqueue_after_commit
from services import DomainError, audit
from services.imports import completion
from services.provisioning import provisioning

log = logging.getLogger(__name__)

BATCH_SIZE = 500
# Sources whose imports run by claim_due (a file import's rows run in jobs.bulk_import's chunks).
RUN_BY_CLAIM = (ImportSource.SCHEDULED, ImportSource.CHANGE, ImportSource.SCHEDULED_CHANGE)


class ImportStateError(DomainError):
    """The import is not in a state that allows this action; nothing was changed."""


# --- claiming and running ------------------------------------------------------------------------

def claim_due(limit: int | None = None, now: datetime | None = None) -> tuple[str, list[int]]:
    """Claim up to `limit` (a batch) due PENDING imports for this run; concurrent runs get disjoint sets."""
    now, limit = now or utcnow(), limit or BATCH_SIZE
    token = secrets.token_hex(16)
    # A materialized CTE: PostgreSQL evaluates it once (an IN (subquery ... LIMIT) can be re-run per row
    # and claim more than `limit`); SKIP LOCKED lets concurrent runs take the next rows instead of waiting.
    due = (sa.select(Import.id).where(Import.status == ImportStatus.PENDING, Import.run_at <= now,
                                      Import.source.in_(RUN_BY_CLAIM))  # file imports: jobs.bulk_import
           .order_by(Import.run_at, Import.id).limit(limit).with_for_update(skip_locked=True)
           .cte("due").prefix_with("MATERIALIZED", dialect="postgresql"))
    stmt = (_claim(token, now).where(Import.id.in_(sa.select(due.c.id)))
            .returning(Import.id).execution_options(synchronize_session=False))
    return token, sorted(db.session.scalars(stmt))


def claim_one(import_id: int, now: datetime | None = None) -> str | None:
    """Claim one import if it is PENDING and due; None if it was cancelled, claimed or is not due yet."""
    now = now or utcnow()
    token = secrets.token_hex(16)
    stmt = _claim(token, now).where(Import.id == import_id, Import.run_at <= now)
    result = db.session.execute(stmt.execution_options(synchronize_session=False))
    return token if result.rowcount == 1 else None


def _claim(token: str, now: datetime) -> sa.Update:
    return (sa.update(Import).where(Import.status == ImportStatus.PENDING)
            .values(status=ImportStatus.RUNNING, claim_token=token, lease_until=now + lease(), started_at=now,
                    attempts=Import.attempts + 1, failure_reason=None))


def lease() -> timedelta:
    return timedelta(seconds=current_app.config["IMPORT_LEASE_SECONDS"])


def renew_lease(token: str, ids: Sequence[int]) -> int:
    """The heartbeat: the claimed imports `ids` still being worked on keep their claim another lease."""
    return db.session.execute(
        sa.update(Import).where(Import.id.in_(ids), Import.status == ImportStatus.RUNNING,
                                Import.claim_token == token)
        .values(lease_until=utcnow() + lease()).execution_options(synchronize_session=False)).rowcount


def record_crash(token: str, ids: Sequence[int], exc: BaseException) -> None:
    """A run died with `exc`: note why on its imports and end the lease now, so the next sweep takes them over
    (or, after too many attempts, ends them FAILED with this reason). Call after a rollback, then commit."""
    with force_locale("en"):
        reason = _("Unexpected error (%(kind)s); the distributor has been notified.", kind=type(exc).__name__)
    db.session.execute(
        sa.update(Import).where(Import.id.in_(ids), Import.status == ImportStatus.RUNNING,
                                Import.claim_token == token)
        .values(failure_reason=reason, lease_until=utcnow()).execution_options(synchronize_session=False))


# --- user actions --------------------------------------------------------------------------------

def cancel_import(reseller_id: int, import_id: int, actor: User) -> None:
    """PENDING -> CANCELLED by the same kind of conditional UPDATE as the claim: only one can win."""
    done = db.session.execute(
        sa.update(Import).where(Import.id == import_id, Import.reseller_id == reseller_id,
                                Import.status == ImportStatus.PENDING)
        .values(status=ImportStatus.CANCELLED, finished_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount == 1
    if not done:
        raise ImportStateError(_("Only a pending import can be cancelled; this one has already started or ended."))
    db.session.execute(sa.update(ImportItem).where(ImportItem.import_id == import_id,
                                                   ImportItem.status == ItemStatus.PENDING)
                       .values(status=ItemStatus.CANCELLED).execution_options(synchronize_session=False))
    audit.record(actor, "import.cancelled", db.session.get(Import, import_id))


def retry_import(reseller_id: int, import_id: int, actor: User) -> None:
    """FAILED -> PENDING, due now; the failed items run again (a completed item never runs twice). Any import run by
    claim: a scheduled provisioning, and a subscription change or term end (a vendor that was down)."""
    now = utcnow().replace(microsecond=0)
    done = db.session.execute(
        sa.update(Import).where(Import.id == import_id, Import.reseller_id == reseller_id,
                                Import.status == ImportStatus.FAILED, Import.source.in_(RUN_BY_CLAIM))
        .values(status=ImportStatus.PENDING, run_at=now, attempts=0, started_at=None, finished_at=None,
                failure_reason=None, failed_count=0)  # the failed items run again and are counted again
        .execution_options(synchronize_session=False)).rowcount == 1
    if not done:
        raise ImportStateError(_("Only a failed scheduled import can be retried; a file import's failed rows are "
                                 "downloaded and uploaded again."))
    db.session.execute(sa.update(ImportItem).where(ImportItem.import_id == import_id,
                                                   ImportItem.status == ItemStatus.FAILED)
                       .values(status=ItemStatus.PENDING, reasons=[]).execution_options(synchronize_session=False))
    enqueue_after_commit("default", provisioning.RUN_ONE_JOB, import_id, job_id=provisioning.run_job_id(import_id))
    audit.record(actor, "import.retried", db.session.get(Import, import_id))


# --- the sweep -----------------------------------------------------------------------------------

def recover_expired_leases(now: datetime | None = None) -> int:
    """RUNNING imports whose run died (worker killed, machine lost) go back to PENDING to run again.

    Run `fail_exhausted_leases` first: those out of attempts end FAILED instead."""
    now = now or utcnow()
    return db.session.execute(
        sa.update(Import).where(Import.status == ImportStatus.RUNNING, Import.lease_until < now)
        .values(status=ImportStatus.PENDING, claim_token=None, lease_until=None,
                failure_reason=sa.func.coalesce(Import.failure_reason, _worker_lost()))
        .execution_options(synchronize_session=False)).rowcount


def _worker_lost() -> str:
    """Why a run died when it could not say (killed, machine lost): stored in English like every reason."""
    with force_locale("en"):
        return _("The worker running the import stopped before it finished (killed, restarted or lost).")


def _stopped(attempts: int, last_error: str) -> str:
    with force_locale("en"):  # |reason translates the nested reason too (services.locales)
        return _("Stopped after %(n)s attempts: %(reason)s", n=attempts, reason=last_error)


def fail_exhausted_leases(now: datetime | None = None) -> int:
    """RUNNING imports whose lease expired on their last attempt end FAILED with the reason; returns how many.

    The items not done yet fail with it too (a file import's rows without an item get one), so the import
    counts them, its failed rows can be downloaded and a scheduled one can be retried; the creator is told."""
    now, limit = now or utcnow(), current_app.config["IMPORT_MAX_ATTEMPTS"]
    expired = (Import.status == ImportStatus.RUNNING, Import.lease_until < now)
    exhausted = db.session.execute(sa.select(Import.id, Import.source, Import.failure_reason)
                                   .where(*expired, Import.attempts >= limit)).all()
    failed = 0
    for import_id, source, last_error in exhausted:
        reason = _stopped(limit, last_error or _worker_lost())
        won = db.session.execute(
            sa.update(Import).where(Import.id == import_id, *expired)
            .values(status=ImportStatus.FAILED, failure_reason=reason[:500], finished_at=now, claim_token=None,
                    lease_until=None).execution_options(synchronize_session=False)).rowcount == 1
        if won:  # a concurrent sweep may have taken it
            _fail_unfinished_items(import_id, source, reason)
            completion.queue(completion.ended(import_id))  # the creator is told why
            failed += 1
    return failed


def _fail_unfinished_items(import_id: int, source: ImportSource, reason: str) -> None:
    if source is ImportSource.FILE:
        from services.imports import bulk_import  # it builds on this module

        bulk_import.fail_unprocessed_rows(import_id, reason)
        return
    db.session.execute(sa.update(ImportItem).where(ImportItem.import_id == import_id,
                                                   ImportItem.status == ItemStatus.PENDING)
                       .values(status=ItemStatus.FAILED, reasons=[reason])
                       .execution_options(synchronize_session=False))
    counts = dict(db.session.execute(sa.select(ImportItem.status, sa.func.count()).where(
        ImportItem.import_id == import_id).group_by(ImportItem.status)).all())
    db.session.execute(sa.update(Import).where(Import.id == import_id)
                       .values(completed_count=counts.get(ItemStatus.COMPLETED, 0),
                               failed_count=counts.get(ItemStatus.FAILED, 0))
                       .execution_options(synchronize_session=False))


def any_due(now: datetime | None = None) -> bool:
    return _due_after(0, now or utcnow())


def more_than_a_batch_due(now: datetime) -> bool:
    """Whether claims at `now` will take more than one batch (a run then has helpers start with it)."""
    return _due_after(BATCH_SIZE, now)


def _due_after(skipped: int, now: datetime) -> bool:
    return db.session.scalar(sa.select(Import.id).where(Import.status == ImportStatus.PENDING, Import.run_at <= now,
                                                        Import.source.in_(RUN_BY_CLAIM))
                             .offset(skipped).limit(1)) is not None
