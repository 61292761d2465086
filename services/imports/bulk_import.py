"""Import accounts from a CSV file: start the import, turn its rows into items chunk by chunk, report its failed rows.

The run is one job (jobs.bulk_import): the whole file is validated in memory with a few queries, then each
chunk of rows becomes items in one insert; a subscription row's item runs through the engine like any
scheduled import's (services.imports.runner, kind "provision"), a customer row's customer is created with it.
The engine's writer records the results and advances the import's progress, checking the claim and renewing
its lease; the job commits after each chunk. A resumed run (lease recovered by the sweep) skips the rows that
already have an item; a run that died too often ends FAILED, its rows without an item failing with the reason
(`fail_unprocessed_rows`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
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
    Product,
    User,
    db,
    utcnow,
)
from queues import enqueue_after_commit
from services import DomainError, audit
from services.imports import completion, csv_import, csv_rows, import_batch, kinds, runner, writer
from services.provisioning import provisioning

RUN_JOB = "jobs.bulk_import.run_file_import"
JOB_TIMEOUT = 1800
CHUNK = 500      # rows per transaction: the progress bar moves every CHUNK rows
VENDOR_CHUNK = 50  # subscription rows, each a vendor call: a chunk (and its lease renewal) well within a lease
CUSTOMER_ROW = "customer_row"  # a customer CSV row's item: created with its customer, never run by a kind


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
    """One chunk: its rows become items, the pending ones run through the engine (services.imports.runner), and
    the writer records their results and the import's progress, renewing its lease. Flushes only."""
    if run.kind == "customers":
        completed, outcomes = _insert_customers(run.import_id, chunk), []
    else:
        pending, completed = _subscription_items(run, chunk)
        outcomes = runner.run_items(import_batch.load_batch([run.import_id], pending)) if pending else []
        completed += sum(1 for outcome in outcomes if not outcome.reasons)
    progress = writer.Progress(run.import_id, processed=len(chunk), completed=completed, failed=len(chunk) - completed)
    if not writer.write(run.token, [progress], outcomes):
        raise ClaimLost(run.import_id)


def _insert_customers(import_id: int, chunk: list[csv_rows.RowResult]) -> int:
    """Customer rows need no vendor call: the valid ones are created together, and each row gets its item."""
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
        items.append(_item(import_id, r, kind=CUSTOMER_ROW,
                           customer_id=ids.get(r.values.get("code", "")) if r.ok else None))
    db.session.execute(sa.insert(ImportItem), items)
    return sum(1 for r in chunk if r.ok)


def _item(import_id: int, r: csv_rows.RowResult, **fields: Any) -> dict[str, Any]:
    return {"import_id": import_id, "kind": kinds.PROVISION, "row_number": r.number, "customer_id": None,
            "product_id": None, "status": ItemStatus.COMPLETED if r.ok else ItemStatus.FAILED, "quantity": 0,
            "billing_type": "", "config": {}, "reasons": list(r.errors), "external_id": "", "direct_payment": False,
            **fields}


def _subscription_items(run: Run, chunk: list[csv_rows.RowResult]) -> tuple[list[int], int]:
    """One "provision" item per row: PENDING for the engine to run now, FAILED with the row's errors, or, for a row
    with a schedule date, COMPLETED once its own scheduled import exists. Returns the pending items' ids and how
    many rows were scheduled."""
    rows, scheduled = [], 0
    for r in chunk:
        data = r.data or {}
        config = data.get("config") or {}
        item = _item(run.import_id, r, customer_id=data.get("customer_id"), product_id=data.get("product_id"),
                     quantity=_int(config.get("quantity")), billing_type=str(config.get("billing_type") or "")[:20],
                     config=config, status=ItemStatus.PENDING if r.ok else ItemStatus.FAILED)
        if r.ok and data["run_at"]:
            item.update(_schedule(run, data, config))
            scheduled += item["status"] is ItemStatus.COMPLETED
        rows.append(item)
    inserted = db.session.execute(sa.insert(ImportItem).returning(ImportItem.id, ImportItem.status,
                                                                  sort_by_parameter_order=True), rows)
    return [id_ for id_, status in inserted if status == ItemStatus.PENDING], scheduled


def _schedule(run: Run, data: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """The row's own scheduled import, as the wizard makes it: its item is then COMPLETED (or FAILED, why)."""
    customer, product = db.session.get(Customer, data["customer_id"]), db.session.get(Product, data["product_id"])
    try:
        scheduled = provisioning.schedule_service(customer, product, dict(config), run.imp.created_by,
                                                  datetime.fromisoformat(data["run_at"]))
    except provisioning.ProvisioningError as exc:
        return {"status": ItemStatus.FAILED, "reasons": [str(exc)]}
    return {"status": ItemStatus.COMPLETED, "external_id": f"import-{scheduled.id}"}


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def finish_run(run: Run) -> Import:
    """COMPLETED (with the counts of completed and failed rows), and the completion e-mail."""
    ended = replace(completion.ended(run.import_id), status=ImportStatus.COMPLETED)
    progress = writer.Progress(run.import_id, 0, 0, 0, ImportStatus.COMPLETED)
    ours = writer.write(run.token, [progress], [], completion.emails([ended]))
    imp = run.imp
    db.session.refresh(imp)
    if ours:
        audit.record(imp.created_by, "import.file_completed", imp, completed=imp.completed_count,
                     failed=imp.failed_count)
    return imp


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
        kind = CUSTOMER_ROW if upload.kind == "customers" else kinds.PROVISION
        db.session.execute(sa.insert(ImportItem), [_item(import_id, r, kind=kind) for r in rows])
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
