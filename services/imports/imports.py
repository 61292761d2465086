"""Imports: claiming and running them, cancel and retry, the sweep's queries (the listing: services.imports.listing).

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from itertools import groupby

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

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
from models.json_rows import JsonRows
from queues import enqueue_after_commit
from services import DomainError, audit
from services.connectors import get_connector
from services.imports import import_batch
from services.imports.import_batch import BatchImport, BatchItem
from services.mail import outbox
from services.provisioning import provisioning
from services.provisioning import provisioning_rules as rules

log = logging.getLogger(__name__)

BATCH_SIZE = 250


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
                                      Import.source == ImportSource.SCHEDULED)  # file imports: jobs.bulk_import
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


def run_claimed(token: str, ids: Sequence[int], heartbeat: Callable[[], None] | None = None) -> int:
    """Validate, provision and record each claimed import; returns how many results were written.

    The vendor calls come first (`heartbeat`, if given, is called after each import's: the caller renews
    the lease there); then the batch's writes are a few statements whatever its size: the results (only
    where the claim still holds), the items, the subscriptions and the e-mails.
    """
    imports = import_batch.load_batch(ids)
    items = [item for imp in imports for item in imp.items]
    facts = rules.load_facts({(imp.reseller_id, item.product_id) for imp in imports for item in imp.items},
                             {item.customer_id for item in items})
    connector = get_connector()
    with force_locale("en"):  # reasons are stored in English; pages and e-mails translate them (|reason)
        results = []
        for imp in imports:
            results.append(_run_one(imp, facts, connector))
            if heartbeat is not None:
                heartbeat()
    emails = _completion_emails(results)
    writes = _Writes(results, emails)
    won = writes.write_results(token)
    if len(won) < len(results):  # some were cancelled or recovered meanwhile: write only what is still ours
        writes = _Writes(won, emails)
    writes.write_the_rest()
    return len(won)


@dataclass
class _Result:
    imp: BatchImport
    outcomes: list[tuple[BatchItem, list[str], str]]  # each item run now: (item, reasons, external id)

    @property
    def failed(self) -> int:
        return sum(1 for _, reasons, _ in self.outcomes if reasons)

    @property
    def completed(self) -> int:
        return len(self.imp.items) - self.failed  # items completed by an earlier attempt count too

    @property
    def status(self) -> ImportStatus:
        return ImportStatus.FAILED if self.failed else ImportStatus.COMPLETED


def _run_one(imp: BatchImport, facts: rules.Facts, connector) -> _Result:
    pending = [item for item in imp.items if item.status is ItemStatus.PENDING]  # a retry skips completed ones
    outcomes = []
    for item in pending:
        reasons, external_id = _outcome(imp, item, facts, connector)
        if not reasons:  # the next import of this batch sees it (once per account, prerequisites)
            facts.owned.setdefault(item.customer_id, set()).add(item.product_id)
        outcomes.append((item, reasons, external_id))
    return _Result(imp, outcomes)


_RESULTS = JsonRows(*(Import.__table__.c[name] for name in ("id", "status", "completed_count", "failed_count")))
_ITEMS = JsonRows(*(ImportItem.__table__.c[name] for name in ("id", "status", "external_id", "reasons")))


@cache
def _result_statement(dialect_name: str) -> sa.Update:
    table, rows = Import.__table__, _RESULTS.table()
    return (sa.update(table)
            .where(table.c.id == rows.c.id, table.c.status == ImportStatus.RUNNING,
                   table.c.claim_token == sa.bindparam("token"))
            .values(status=rows.c.status, completed_count=rows.c.completed_count, failed_count=rows.c.failed_count,
                    finished_at=sa.bindparam("now", type_=table.c.finished_at.type), lease_until=None,
                    claim_token=None)
            .returning(table.c.id))


class _Writes:
    """A batch's rows, encoded before its first write: SQLite's write lock is then held only while writing."""

    def __init__(self, batch: list[_Result], emails: dict[int, dict]):
        now = utcnow()
        outcomes = [(r.imp, item, reasons, external_id) for r in batch for item, reasons, external_id in r.outcomes]
        self.batch = batch
        self.results = _RESULTS.param({"id": r.imp.id, "status": r.status, "completed_count": r.completed,
                                       "failed_count": r.failed} for r in batch)
        self.items = _ITEMS.param({"id": item.id, "status": ItemStatus.FAILED if reasons else ItemStatus.COMPLETED,
                                   "external_id": external_id, "reasons": reasons}
                                  for _, item, reasons, external_id in outcomes)
        self.subscriptions = provisioning.encode_subscriptions([
            provisioning.subscription_values(imp, item, external_id, now)
            for imp, item, reasons, external_id in outcomes if not reasons])
        self.emails = outbox.encode_emails([emails[r.imp.id] for r in batch])

    def write_results(self, token: str) -> list[_Result]:
        """Write each result where the claim still holds and return those results (a cancelled or recovered
        import is not ours any more). One statement, which also takes SQLite's write lock for the batch."""
        ours = set(db.session.scalars(_result_statement(db.engine.dialect.name),
                                      {"rows": self.results, "token": token, "now": utcnow()}))
        return [r for r in self.batch if r.imp.id in ours]

    def write_the_rest(self) -> None:
        """Each item's result, the subscriptions of those provisioned, and the e-mails (no ORM objects)."""
        if not self.batch:
            return
        db.session.execute(_item_statement(db.engine.dialect.name), {"rows": self.items})
        provisioning.insert_subscriptions(self.subscriptions)
        outbox.queue_encoded_emails(self.emails)


@cache
def _item_statement(dialect_name: str) -> sa.Update:
    table, rows = ImportItem.__table__, _ITEMS.table()
    return (sa.update(table).where(table.c.id == rows.c.id)
            .values(status=rows.c.status, external_id=rows.c.external_id, reasons=rows.c.reasons))


def _outcome(imp: BatchImport, item: BatchItem, facts: rules.Facts, connector) -> tuple[list[str], str]:
    try:
        return provisioning.provision_item(imp, item, facts, connector)
    except SQLAlchemyError:
        raise
    except Exception as exc:  # a bug or a vendor surprise must fail this import, not the whole batch
        log.exception("import %s item %s failed unexpectedly", imp.id, item.id)
        return [_("Unexpected error (%(kind)s); the distributor has been notified.", kind=type(exc).__name__)], ""


def _completion_emails(results: list[_Result]) -> dict[int, dict]:
    """"Your import is completed" to each creator, in their language, by import id (one render setup per language)."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]

    def language(result: _Result) -> str:
        return result.imp.creator_locale or default

    emails = {}
    for locale, same_language in groupby(sorted(results, key=language), key=language):
        with force_locale(locale):
            render = outbox.renderer()
            emails.update((r.imp.id, _completion_email(render, r)) for r in same_language)
    return emails


def _completion_email(render, result: _Result) -> dict:
    imp = result.imp
    email = render(imp.creator_email, "import_completed", import_name=imp.name,
                   created_by=imp.creator_name or imp.creator_email, created_at=imp.created_at,
                   import_type=imp.import_type, status=result.status.value, completed=result.completed,
                   failed=result.failed, reasons=[reason for _, reasons, _ in result.outcomes for reason in reasons])
    return {**email, "related_type": "Import", "related_id": imp.id}


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
    """FAILED -> PENDING, due now; the failed items run again (a completed item never runs twice)."""
    now = utcnow().replace(microsecond=0)
    done = db.session.execute(
        sa.update(Import).where(Import.id == import_id, Import.reseller_id == reseller_id,
                                Import.status == ImportStatus.FAILED, Import.source == ImportSource.SCHEDULED)
        .values(status=ImportStatus.PENDING, run_at=now, attempts=0, started_at=None, finished_at=None,
                failure_reason=None)
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
            _tell_creator(import_id, reason)
            failed += 1
    return failed


def _tell_creator(import_id: int, reason: str) -> None:
    """The usual "Your import is completed" e-mail, FAILED with the reason, in the creator's language."""
    imp = db.session.get(Import, import_id)
    db.session.refresh(imp)  # its status and counts were just written by statements
    creator = imp.created_by
    with outbox.in_language_of(creator):
        outbox.queue_email(creator.email, "import_completed", related=imp, import_name=imp.name,
                           created_by=creator.name or creator.email, created_at=imp.created_at,
                           import_type=imp.import_type, status=imp.status.value, completed=imp.completed_count,
                           failed=imp.failed_count, reasons=[reason])


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
    now = now or utcnow()
    return db.session.scalar(sa.select(Import.id).where(Import.status == ImportStatus.PENDING, Import.run_at <= now,
                                                        Import.source == ImportSource.SCHEDULED).limit(1)) is not None
