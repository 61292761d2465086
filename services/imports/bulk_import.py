"""Import accounts from a CSV file: start the import, run it in chunks, report it and its failed rows.

The run is one job, set-based: the whole file is validated in memory with a few queries, then each
chunk of rows is written with bulk inserts (customers, then one item per row) and the import's progress
is advanced by a conditional UPDATE that also checks the claim and renews its lease; the job commits after
each chunk. A resumed run (lease recovered by the sweep) skips the rows that already have an item; a run that
died too often ends FAILED, its rows without an item failing with the reason (`fail_unprocessed_rows`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from models import (
    Customer,
    Import,
    ImportItem,
    ImportSource,
    ImportStatus,
    ImportUpload,
    ItemStatus,
    User,
    db,
    utcnow,
)
from queues import enqueue_after_commit
from services import DomainError, audit, locales
from services.connectors import get_connector
from services.imports import csv_import, csv_rows
from services.imports.imports import lease
from services.mail import outbox
from services.provisioning import provisioning
from services.provisioning import provisioning_rules as rules

RUN_JOB = "jobs.bulk_import.run_file_import"
JOB_TIMEOUT = 1800
CHUNK = 500      # rows per transaction: the progress bar moves every CHUNK rows
VENDOR_CHUNK = 50  # subscription rows, each a vendor call: a chunk (and its lease renewal) well within a lease
MAX_REASONS_IN_EMAIL = 10


class UploadError(DomainError):
    """The upload cannot be run (already running, or not this reseller's)."""


def run_job_id(import_id: int, attempts: int = 0) -> str:
    """The first run's job id, or the one after `attempts` claims (a recovered run's)."""
    return f"run-file-import-{import_id}" + (f"-after-{attempts}" if attempts else "")


# --- starting -------------------------------------------------------------------------------------

def start_import(upload: ImportUpload, user: User) -> Import:
    """A PENDING file import of the upload, run by one job sent after commit. An upload runs only once."""
    if upload.import_id is not None:
        raise UploadError(_("This file has already been imported; upload it again to import it again."))
    account_type = "customer" if upload.kind == "customers" else "subscription"
    imp = Import(reseller_id=upload.reseller_id, created_by_id=user.id, source=ImportSource.FILE,
                 account_type=account_type, name=upload.filename, import_type=_import_type(upload.kind),
                 run_at=utcnow().replace(microsecond=0), total_count=upload.row_count)
    db.session.add(imp)
    db.session.flush()
    won = db.session.execute(sa.update(ImportUpload).where(ImportUpload.id == upload.id,
                                                           ImportUpload.import_id.is_(None))
                             .values(import_id=imp.id).execution_options(synchronize_session=False)).rowcount
    if won != 1:  # a double submit: the other request started it
        raise UploadError(_("This file has already been imported; upload it again to import it again."))
    enqueue_after_commit("default", RUN_JOB, imp.id, job_id=run_job_id(imp.id), job_timeout=JOB_TIMEOUT)
    audit.record(user, "import.file_started", imp, rows=upload.row_count, kind=upload.kind)
    return imp


def _import_type(kind: str) -> str:
    return "CSV: customers" if kind == "customers" else "CSV: subscriptions"


def upload_of(imp: Import) -> ImportUpload | None:
    return db.session.scalar(sa.select(ImportUpload).where(ImportUpload.import_id == imp.id))


# --- running -------------------------------------------------------------------------------------

class ClaimLost(Exception):
    """The import is no longer RUNNING under this claim (its lease ran out and another run owns it)."""


@dataclass
class Run:
    import_id: int
    kind: str                       # plain values: reading them after a commit reloads nothing
    token: str
    todo: list[csv_rows.RowResult]  # rows without an item yet

    @property
    def imp(self) -> Import:
        return db.session.get(Import, self.import_id)  # not the upload: its rows are reloaded after each commit

    def chunks(self) -> list[list[csv_rows.RowResult]]:
        size = CHUNK if self.kind == "customers" else VENDOR_CHUNK
        return [self.todo[i:i + size] for i in range(0, len(self.todo), size)]


def prepare_run(import_id: int, token: str) -> Run | None:
    """Validate the whole file again (the database may have changed since the preview); skip done rows."""
    imp = db.session.get(Import, import_id)
    upload = upload_of(imp) if imp is not None else None
    if imp is None or upload is None:
        return None
    done = set(db.session.scalars(sa.select(ImportItem.row_number).where(ImportItem.import_id == imp.id)))
    results = csv_rows.validate_rows(upload.kind, imp.reseller, upload.header, upload.rows,
                                     exclude_import_id=imp.id)
    todo = [r for r in results if r.number not in done]
    return Run(imp.id, upload.kind, token, todo)


def process_chunk(run: Run, chunk: list[csv_rows.RowResult]) -> None:
    """Write one chunk: its accounts and one item per row, and advance the progress. Flushes only."""
    if run.kind == "customers":
        completed = _insert_customers(run.import_id, chunk)
    else:
        completed = _provision_subscriptions(run.imp, chunk)
    _advance(run, processed=len(chunk), completed=completed, failed=len(chunk) - completed)


def _insert_customers(import_id: int, chunk: list[csv_rows.RowResult]) -> int:
    valid = [r for r in chunk if r.ok]
    ids: dict[str, int] = {}
    if valid:
        insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
        stmt = (insert(Customer).on_conflict_do_nothing(index_elements=["reseller_id", "code"])
                .returning(Customer.id, Customer.code))
        ids = {code: id_ for id_, code in db.session.execute(stmt, [r.data for r in valid])}
    items = []
    for r in chunk:
        if r.ok and r.data["code"] not in ids:  # created meanwhile by someone else: a duplicate, skipped
            r.errors.append(_("You already have a customer with the code %(code)s.", code=r.data["code"]))
        items.append(_item(import_id, r, customer_id=ids.get(r.values.get("code", "")) if r.ok else None))
    db.session.execute(sa.insert(ImportItem), items)
    return sum(1 for r in chunk if r.ok)


def _item(import_id: int, r: csv_rows.RowResult, **fields: Any) -> dict[str, Any]:
    return {"import_id": import_id, "row_number": r.number, "customer_id": None, "product_id": None,
            "status": ItemStatus.COMPLETED if r.ok else ItemStatus.FAILED, "quantity": 0, "billing_type": "",
            "config": {}, "reasons": list(r.errors), "external_id": "", "direct_payment": False, **fields}


def _provision_subscriptions(imp: Import, chunk: list[csv_rows.RowResult]) -> int:
    """Rows with a schedule date become scheduled imports; the others are provisioned now, as the wizard does."""
    customer_ids = {r.data["customer_id"] for r in chunk if r.data}
    facts = rules.load_facts({(imp.reseller_id, r.data["product_id"]) for r in chunk if r.data}, customer_ids)
    connector, completed = get_connector(), 0
    for r in chunk:
        data = r.data or {}
        config = data.get("config") or {}
        item = ImportItem(import_id=imp.id, row_number=r.number, customer_id=data.get("customer_id"),
                          product_id=data.get("product_id"), quantity=_int(config.get("quantity")),
                          billing_type=str(config.get("billing_type") or "")[:20], config=config,
                          status=ItemStatus.FAILED, reasons=list(r.errors))
        db.session.add(item)
        if r.ok:
            completed += _provision_row(imp, item, r, facts, connector)
    db.session.flush()
    return completed


def _provision_row(imp: Import, item: ImportItem, r: csv_rows.RowResult, facts: rules.Facts, connector) -> int:
    db.session.flush()
    if r.data["run_at"]:
        try:
            scheduled = provisioning.schedule_service(item.customer, item.product, dict(item.config),
                                                      imp.created_by, datetime.fromisoformat(r.data["run_at"]))
        except provisioning.ProvisioningError as exc:
            item.reasons = [str(exc)]
            return 0
        item.status, item.external_id = ItemStatus.COMPLETED, f"import-{scheduled.id}"
        return 1
    reasons, external_id = provisioning.provision_item(imp, item, facts, connector)
    if reasons:
        item.reasons = reasons
        return 0
    provisioning.record_subscription(imp, item, external_id, facts)
    return 1


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _advance(run: Run, processed: int, completed: int, failed: int) -> None:
    changed = db.session.execute(
        sa.update(Import).where(Import.id == run.import_id, Import.status == ImportStatus.RUNNING,
                                Import.claim_token == run.token)
        .values(processed_count=Import.processed_count + processed, completed_count=Import.completed_count + completed,
                failed_count=Import.failed_count + failed, lease_until=utcnow() + lease())
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise ClaimLost(run.import_id)


def finish_run(run: Run) -> Import:
    """COMPLETED (with the counts of completed and failed rows), and the "Your import is completed" e-mail."""
    db.session.execute(
        sa.update(Import).where(Import.id == run.import_id, Import.status == ImportStatus.RUNNING,
                                Import.claim_token == run.token)
        .values(status=ImportStatus.COMPLETED, finished_at=utcnow(), lease_until=None, claim_token=None)
        .execution_options(synchronize_session=False))
    imp = run.imp
    db.session.refresh(imp)
    if imp.status is ImportStatus.COMPLETED:
        _queue_email(imp)
        audit.record(imp.created_by, "import.file_completed", imp, completed=imp.completed_count,
                     failed=imp.failed_count)
    return imp


def _queue_email(imp: Import) -> None:
    creator = imp.created_by
    rows = db.session.execute(sa.select(ImportItem.row_number, ImportItem.reasons)
                              .where(ImportItem.import_id == imp.id, ImportItem.status == ItemStatus.FAILED)
                              .order_by(ImportItem.row_number).limit(MAX_REASONS_IN_EMAIL))
    with outbox.in_language_of(creator):
        reasons = [_("Row %(n)s: %(reasons)s", n=n, reasons=" ".join(map(locales.translate_stored, r)))
                   for n, r in rows]
        if imp.failed_count > len(reasons):
            reasons.append(_("… and %(n)s more: download the failed rows from My imports.",
                             n=imp.failed_count - len(reasons)))
        outbox.queue_email(creator.email, "import_completed", related=imp, import_name=imp.name,
                           created_by=creator.name or creator.email, created_at=imp.created_at,
                           import_type=imp.import_type, status=imp.status.value, completed=imp.completed_count,
                           failed=imp.failed_count, reasons=reasons)


def fail_unprocessed_rows(import_id: int, reason: str) -> None:
    """The rows of a stopped import that no run wrote fail with `reason` (one item each), and count as processed."""
    imp = db.session.get(Import, import_id)
    upload = upload_of(imp)
    if upload is None:
        return
    done = set(db.session.scalars(sa.select(ImportItem.row_number).where(ImportItem.import_id == import_id)))
    rows = [csv_rows.RowResult(number, {}, [reason]) for number in range(1, len(upload.rows) + 1)
            if number not in done]
    if rows:
        db.session.execute(sa.insert(ImportItem), [_item(import_id, r) for r in rows])
    db.session.execute(sa.update(Import).where(Import.id == import_id)
                       .values(processed_count=Import.processed_count + len(rows),
                               failed_count=Import.failed_count + len(rows))
                       .execution_options(synchronize_session=False))


# --- failed rows ---------------------------------------------------------------------------------

def failed_rows_csv(imp: Import, translate: Callable[[str], str] = str) -> str:
    """The failed rows with the file's columns plus "error", formula-safe, ready to fix and upload again.

    Reasons are stored in English; `translate` shows them in the reader's language.
    """
    upload = upload_of(imp)
    if upload is None:
        return csv_import.write_csv(["error"], [])
    failed = db.session.execute(sa.select(ImportItem.row_number, ImportItem.reasons)
                                .where(ImportItem.import_id == imp.id, ImportItem.status == ItemStatus.FAILED,
                                       ImportItem.row_number.is_not(None)).order_by(ImportItem.row_number))
    width = len(upload.header)
    rows = [(upload.rows[n - 1] + [""] * width)[:width] + [" ".join(map(translate, reasons))]
            for n, reasons in failed]
    return csv_import.write_csv(upload.header + ["error"], rows)
