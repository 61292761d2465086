"""Running imports: every due import in batches from one job, or one import now (Provision now, retry).

rq-scheduler enqueues `run_due_imports` once per run_at second (job id `run-due-imports-<epoch>`), so
10,000 imports due in the same second share one job instead of 10,000 forks. The job claims batches
with a conditional UPDATE until nothing is due; when a batch comes back full it asks for a helper job,
so a second worker joins in. Any number of these runs may overlap: claims never overlap.

A batch renews its lease while its vendor calls go on (`_Heartbeat`); a batch that raises notes why on its
imports and ends their lease at once (`imports.record_crash`), so the sweep runs them again or, once out of
attempts, ends them FAILED with the reason.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime

from flask import current_app

from models import db, utcnow
from queues import enqueue_unique
from services.imports import imports, runner
from services.provisioning import provisioning

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


def run_due_imports(due_at: datetime | None = None) -> int:
    """Run every due PENDING import, a batch at a time, until none is left; returns how many ran.

    `due_at`: the second this run was queued for, a moment early (provisioning.DUE_RUN_LEAD): it waits for it. If
    more than a batch will be due then, it queues its helpers first, to wait for the same second: every worker
    starts at the second instead of one batch's claim later (and its connection to the database is open by then)."""
    if _waits_for(due_at):
        if imports.more_than_a_batch_due(due_at):
            _call_for_help(due_at)
        db.session.rollback()  # no transaction left open while it waits
    _wait_for(due_at)
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


def _waits_for(due_at: datetime | None) -> bool:
    """Whether a run waits for `due_at`: at most a couple of leads away (a run queued by hand or late goes at once)."""
    lead = provisioning.DUE_RUN_LEAD.total_seconds()
    return due_at is not None and 0 < (due_at - utcnow()).total_seconds() <= 2 * lead


def _wait_for(due_at: datetime | None) -> None:
    """Sleep until `due_at` if the run waits for it (_waits_for)."""
    if _waits_for(due_at):
        time.sleep((due_at - utcnow()).total_seconds() + 0.005)  # never a hair early: the claim would find nothing


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
        done = runner.run_claimed(token, ids, _Heartbeat(token, ids))
        following = imports.claim_due() if claim_next else None
        db.session.commit()
        return done, following
    except Exception as exc:  # a database error, or a bug the per-import guard did not catch
        db.session.rollback()
        if len(ids) == 1:
            _record_crash(token, ids, exc)
            raise
        log.exception("a batch of %s imports failed; running them one by one", len(ids))
    done = 0
    for import_id in ids:
        try:
            done += runner.run_claimed(token, [import_id], _Heartbeat(token, [import_id]))
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            log.exception("import %s failed; the sweep runs it again or, out of attempts, fails it", import_id)
            _record_crash(token, [import_id], exc)
    return done, None


def _record_crash(token: str, ids: Sequence[int], exc: BaseException) -> None:
    imports.record_crash(token, ids, exc)
    db.session.commit()


class _Heartbeat:
    """Renews the batch's lease, at most every third of a lease, while its vendor calls go on.

    Called between imports, before the batch writes anything: its commit ends only the batch's reads."""

    def __init__(self, token: str, ids: Sequence[int]):
        self.token, self.ids = token, ids
        self.every = imports.lease().total_seconds() / 3
        self.next = time.monotonic() + self.every

    def __call__(self) -> None:
        if time.monotonic() >= self.next:
            imports.renew_lease(self.token, self.ids)
            db.session.commit()
            self.next = time.monotonic() + self.every


def _call_for_help(due_at: datetime | None = None) -> None:
    """More is due than one batch: make sure helper jobs are queued so idle workers share the load (waiting for
    `due_at`, if given, as the run that calls them does)."""
    for n in range(max(current_app.config.get("IMPORT_HELPER_JOBS", 1), 0)):
        _enqueue_due_run(f"run-due-imports-helper-{n}", due_at)


def _enqueue_due_run(job_id: str, due_at: datetime | None = None) -> bool:
    args = () if due_at is None else (due_at,)
    return enqueue_unique("default", provisioning.RUN_DUE_JOB, *args, job_id=job_id,
                          job_timeout=provisioning.JOB_TIMEOUT)


def sweep_imports() -> dict[str, int]:
    """Recover RUNNING imports whose lease expired (those out of attempts end FAILED) and make sure due PENDING
    ones have a job (Redis lost)."""
    failed = imports.fail_exhausted_leases()
    recovered = imports.recover_expired_leases()
    db.session.commit()
    enqueued = _enqueue_due_run("run-due-imports-sweep") if imports.any_due() else False
    return {"imports_recovered": recovered, "imports_failed": failed, "imports_enqueued": int(enqueued)}
