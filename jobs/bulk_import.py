"""Running a file import (Import accounts): one job per file, committing after each chunk of rows.

Each chunk renews the claim's lease; a run that raises notes why on the import and ends its lease at once
(`imports.record_crash`), so the sweep soon runs it again, or ends it FAILED once it is out of attempts."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import force_locale

from models import Import, ImportSource, ImportStatus, db
from queues import enqueue_unique
from services.imports import bulk_import, imports

log = logging.getLogger(__name__)


def run_file_import(import_id: int) -> str:
    """Claim the import (PENDING -> RUNNING) and run it. Safe to run twice: the second claim fails."""
    token = imports.claim_one(import_id)
    db.session.commit()  # the claim is durable before any row is written
    if token is None:
        return "not claimed"
    try:
        return _run(import_id, token)
    except Exception as exc:
        db.session.rollback()
        imports.record_crash(token, [import_id], exc)
        db.session.commit()
        raise


def _run(import_id: int, token: str) -> str:
    with force_locale("en"):  # reasons are stored in English; pages, CSV and e-mail translate them
        run = bulk_import.prepare_run(import_id, token)
        if run is None:
            return "gone"
        imports.renew_lease(token, [import_id])  # validating a large file took a while
        db.session.commit()
        try:
            for chunk in run.chunks():
                bulk_import.process_chunk(run, chunk)  # renews the lease too
                db.session.commit()  # the progress bar moves; a crash after this resumes from the next chunk
        except bulk_import.ClaimLost:
            db.session.rollback()
            log.warning("file import %s lost its claim; the run that owns it now finishes it", import_id)
            return "claim lost"
    bulk_import.finish_run(run)
    db.session.commit()
    return "done"


def sweep_file_imports() -> int:
    """PENDING file imports (never run, or recovered from an expired lease) get their job again.

    A recovered one gets a job id of its own attempt: the job of a killed worker may still look started."""
    rows = db.session.execute(sa.select(Import.id, Import.attempts).where(Import.status == ImportStatus.PENDING,
                                                                          Import.source == ImportSource.FILE))
    return sum(enqueue_unique("default", bulk_import.RUN_JOB, import_id,
                              job_id=bulk_import.run_job_id(import_id, attempts),
                              job_timeout=bulk_import.JOB_TIMEOUT) for import_id, attempts in rows)
