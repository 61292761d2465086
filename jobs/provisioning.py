"""Running imports: every due import in batches from one job, or one import now (Provision now, retry).

rq-scheduler enqueues `run_due_imports` once per run_at second (job id `run-due-imports-<epoch>`), so
10,000 imports due in the same second share one job instead of 10,000 forks. The job claims batches
with a conditional UPDATE until nothing is due; when a batch comes back full it asks for a helper job,
so a second worker joins in. Any number of these runs may overlap: claims never overlap.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from jobs import enqueue_unique
from models import db
from services import imports, provisioning

log = logging.getLogger(__name__)

DEADLINE_SECONDS = 120  # then hand over to a fresh job, so one run never nears the RQ job timeout
Claim = tuple[str, list[int]]  # a claim's token and the ids of the imports it took


def run_import(import_id: int) -> str:
    """Run one import now if it is still PENDING and due. Safe to run twice: the second claim fails."""
    token = imports.claim_one(import_id)
    db.session.commit()  # the claim is durable before any vendor call
    if token is None:
        return "not claimed"
    _run_batch(token, [import_id])
    return "done"


def run_due_imports() -> int:
    """Run every due PENDING import, a batch at a time, until none is left; returns how many ran."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    done = 0
    token, ids = _claim()
    while ids:
        if len(ids) == imports.BATCH_SIZE:
            _call_for_help()
        in_time = time.monotonic() < deadline
        written, following = _run_batch(token, ids, claim_next=in_time)
        done += written
        if not in_time:
            _enqueue_due_run(f"run-due-imports-continue-{int(time.time())}")
            return done
        token, ids = following or _claim()
    return done


def _claim() -> Claim:
    token, ids = imports.claim_due()
    db.session.commit()  # the claim is durable before any vendor call
    return token, ids


def _run_batch(token: str, ids: Sequence[int], claim_next: bool = False) -> tuple[int, Claim | None]:
    """One transaction for the batch; if it fails, each import alone, so one bad row cannot hold the rest.

    With `claim_next`, the next batch is claimed in the batch's own transaction: one write transaction a
    batch, so on SQLite the other worker waits half as often for the write lock. Returns how many results
    were written, and the next claim if one was made.
    """
    try:
        done = imports.run_claimed(token, ids)
        following = imports.claim_due() if claim_next else None
        db.session.commit()
        return done, following
    except SQLAlchemyError:
        db.session.rollback()
        if len(ids) == 1:
            raise
        log.exception("a batch of %s imports failed; running them one by one", len(ids))
    done = 0
    for import_id in ids:
        try:
            done += imports.run_claimed(token, [import_id])
            db.session.commit()
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("import %s stays RUNNING until its lease expires and the sweep retries it", import_id)
    return done, None


def _call_for_help() -> None:
    """More is due than one batch: make sure helper jobs are queued so idle workers share the load."""
    for n in range(max(current_app.config.get("IMPORT_HELPER_JOBS", 1), 0)):
        _enqueue_due_run(f"run-due-imports-helper-{n}")


def _enqueue_due_run(job_id: str) -> bool:
    return enqueue_unique("default", provisioning.RUN_DUE_JOB, job_id=job_id, job_timeout=provisioning.JOB_TIMEOUT)


def sweep_imports() -> dict[str, int]:
    """Recover RUNNING imports whose lease expired and make sure due PENDING ones have a job (Redis lost)."""
    recovered = imports.recover_expired_leases()
    db.session.commit()
    enqueued = _enqueue_due_run("run-due-imports-sweep") if imports.any_due() else False
    return {"imports_recovered": recovered, "imports_enqueued": int(enqueued)}
