"""Running a file import (Import accounts): one job per file, committing after each chunk of rows."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import force_locale

from jobs import enqueue_unique
from models import Import, ImportSource, ImportStatus, db
from services import bulk_import, imports

log = logging.getLogger(__name__)


def run_file_import(import_id: int) -> str:
    """Claim the import (PENDING -> RUNNING) and run it. Safe to run twice: the second claim fails."""
    token = imports.claim_one(import_id)
    db.session.commit()  # the claim is durable before any row is written
    if token is None:
        return "not claimed"
    with force_locale("en"):  # reasons are stored in English; pages, CSV and e-mail translate them
        run = bulk_import.prepare_run(import_id, token)
        if run is None:
            return "gone"
        try:
            for chunk in run.chunks():
                bulk_import.process_chunk(run, chunk)
                db.session.commit()  # the progress bar moves; a crash after this resumes from the next chunk
        except bulk_import.ClaimLost:
            db.session.rollback()
            log.warning("file import %s lost its claim; the run that owns it now finishes it", import_id)
            return "claim lost"
    bulk_import.finish_run(run)
    db.session.commit()
    return "done"


def sweep_file_imports() -> int:
    """PENDING file imports (never run, or recovered from an expired lease) get their job again."""
    ids = db.session.scalars(sa.select(Import.id).where(Import.status == ImportStatus.PENDING,
                                                        Import.source == ImportSource.FILE))
    return sum(enqueue_unique("default", bulk_import.RUN_JOB, import_id, job_id=bulk_import.run_job_id(import_id),
                              job_timeout=bulk_import.JOB_TIMEOUT) for import_id in ids)
