"""The scheduler process: on-time wake-ups, and the periodic jobs (one registry, ids derived from the
definition, stale entries cancelled)."""
from __future__ import annotations

import hashlib
import time

from rq_scheduler import Scheduler

# (name, cron, dotted path of the job function, queue)
PERIODIC = [
    ("sweep", "* * * * *", "jobs.sweep.sweep", "maintenance"),
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


class PunctualScheduler(Scheduler):
    """rq-scheduler waking when the next job is due, not only every `interval` seconds.

    rq-scheduler sleeps `_interval` between checks, so a job used to start up to a whole interval after its
    time. Here reading `_interval` answers with the time left until the earliest scheduled job, capped by
    the interval given. rq-scheduler reads it once per loop for the sleep, and for lock expiries, which
    only grow with it.
    """

    MIN_SLEEP = 0.02  # a due job that another scheduler holds the lock for: look again soon, do not spin

    def __init__(self, *args, interval: float = 1.0, **kwargs):
        self.max_interval = interval
        super().__init__(*args, interval=interval, **kwargs)

    @property
    def _interval(self) -> float:
        earliest = self.connection.zrange(self.scheduled_jobs_key, 0, 0, withscores=True)
        if not earliest:
            return self.max_interval
        return min(self.max_interval, max(earliest[0][1] - time.time(), self.MIN_SLEEP))

    @_interval.setter
    def _interval(self, value: float) -> None:
        self.max_interval = value
