"""The scheduler's periodic jobs: one registry, ids derived from the definition, stale entries cancelled."""
from __future__ import annotations

import hashlib

from rq_scheduler import Scheduler

# (name, cron, dotted path of the job function, queue)
PERIODIC = [
    ("sweep", "* * * * *", "jobs.sweep.sweep", "maintenance"),
    ("billing-fees", "5 * * * *", "jobs.billing.write_fees", "maintenance"),
    ("billing-close", "0 0 1 * *", "jobs.billing.close_previous_month", "maintenance"),  # 00:00 UTC on the 1st
    # Renew/expire imports an hour ahead of each term end (they run at the term end itself), reminders.
    ("subscription-term-ends", "*/10 * * * *", "jobs.subscriptions.create_term_ends", "maintenance"),
    ("subscription-reminders", "*/15 * * * *", "jobs.subscriptions.send_reminders", "maintenance"),
]


def periodic_job_id(name: str, cron: str) -> str:
    """Changing a job's cron changes its id, so the old entry is cancelled and the new one added."""
    return f"periodic-{name}-{hashlib.sha1(cron.encode(), usedforsecurity=False).hexdigest()[:8]}"


def sync_schedule(scheduler: Scheduler) -> None:
    wanted = {periodic_job_id(name, cron) for name, cron, _, _ in PERIODIC}
    for job in scheduler.get_jobs():
        if job.id.startswith("periodic-") and job.id not in wanted:
            scheduler.cancel(job)
    register_missing_periodic(scheduler)


def register_missing_periodic(scheduler: Scheduler) -> None:
    """Add the periodic jobs that are not scheduled (one ZSCORE each): also after Redis came back empty."""
    wanted = {periodic_job_id(name, cron): (cron, func, queue) for name, cron, func, queue in PERIODIC}
    for job_id, (cron, func, queue) in wanted.items():
        if job_id not in scheduler:
            scheduler.cron(cron, func=func, id=job_id, queue_name=queue, result_ttl=600, use_local_timezone=False)

