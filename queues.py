"""Queue plumbing: the Redis connection, the queues, the job class and enqueue-after-commit.

Services import this module; the job entry points live in jobs/ (above the services).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from rq.utils import now
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

QUEUE_NAMES = ("default", "mail", "maintenance")
LAST_SWEEP_KEY = "canal:last-sweep"


class AppContextJob(Job):
    """Run each job in a fresh app context: its own db.session, config and mail."""

    def perform(self):
        app = current_app._get_current_object() if has_app_context() else _worker_app()
        with app.app_context():
            return super().perform()


@cache
def _worker_app() -> Flask:
    from app import create_app

    return create_app()


def get_redis() -> Redis:
    """One connection pool per app, from REDIS_URL."""
    redis = current_app.extensions.get("canal_redis")
    if redis is None:
        redis = Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2)
        current_app.extensions["canal_redis"] = redis
    return redis


def get_queue(name: str) -> Queue:
    return Queue(name, connection=get_redis(), job_class=AppContextJob)


def enqueue_unique(queue: str, func: Callable | str, *args: Any, job_id: str, **kwargs: Any) -> bool:
    """Enqueue unless a live job with this id exists (is_alive); a finished, failed or dead one is replaced.

    Returns True when a job was enqueued. Jobs are idempotent, so a lost race only costs a no-op run.
    """
    q = get_queue(queue)
    try:
        q.enqueue(func, *args, job_id=job_id, unique=True, **kwargs)
        return True
    except DuplicateJobError:
        try:
            old = q.job_class.fetch(job_id, connection=q.connection)
        except NoSuchJobError:
            old = None
        if old is not None and is_alive(old):
            return False
        if old is not None:
            old.delete()
        q.enqueue(func, *args, job_id=job_id, **kwargs)
        return True


def is_alive(job: Job) -> bool:
    """Whether the job will still run, or runs now.

    Not when it ended (finished, failed, stopped, cancelled), nor when it is QUEUED but in no queue (a
    worker took it and died before starting it), nor when it is STARTED but no live worker holds it: its
    execution's heartbeat ran out, or its worker is gone or has not sent a heartbeat for longer than a busy
    worker ever waits (RQ's own clean-up would only notice much later). Scheduled and deferred jobs are
    waiting for something that will enqueue them.
    """
    status = job.get_status(refresh=False)
    if status == JobStatus.QUEUED:
        return Queue(job.origin, connection=job.connection).get_job_position(job.id) is not None
    if status == JobStatus.STARTED:
        return _held_by_live_worker(job)
    return status in (JobStatus.SCHEDULED, JobStatus.DEFERRED)


def _held_by_live_worker(job: Job) -> bool:
    registry = StartedJobRegistry(job.origin, connection=job.connection, job_class=type(job))
    if job.id not in registry or job.id in registry.get_expired_job_ids():
        return False
    worker = job.worker_name and Worker.find_by_key(Worker.redis_worker_namespace_prefix + job.worker_name,
                                                    connection=job.connection)
    if not worker or worker.last_heartbeat is None:
        return False
    # A busy worker beats every job_monitoring_interval; RQ gives the beat this much slack too.
    return now() - worker.last_heartbeat < timedelta(seconds=worker.job_monitoring_interval + 60)


def enqueue_after_commit(queue: str, func: Callable | str, *args: Any, job_id: str,
                         at: datetime | None = None, **kwargs: Any) -> None:
    """Send a job to Redis only once the current transaction commits (dropped on rollback).

    With `at`, rq-scheduler enqueues it at that moment instead.
    """
    from models import db

    db.session.info.setdefault("pending_jobs", []).append((queue, func, args, kwargs, job_id, at))


def schedule_at(at: datetime, queue: str, func: Callable | str, *args: Any, job_id: str, **kwargs: Any) -> None:
    from rq_scheduler import Scheduler

    scheduler = Scheduler(queue_name=queue, connection=get_redis(), job_class=AppContextJob)
    scheduler.enqueue_at(at, func, *args, job_id=job_id, **kwargs)


@event.listens_for(Session, "after_commit")
def _send_pending_jobs(session: Session) -> None:
    for queue, func, args, kwargs, job_id, at in session.info.pop("pending_jobs", []):
        try:
            if at is None:
                enqueue_unique(queue, func, *args, job_id=job_id, **kwargs)
            else:
                schedule_at(at, queue, func, *args, job_id=job_id, **kwargs)
        except (RedisError, OSError) as exc:
            # The row is committed; the sweep finds it and enqueues it once Redis is back. An expected outage (also
            # `flask demo seed` before make run's Redis starts): one line, no traceback.
            log.warning("Could not enqueue %s (%s); the sweep will pick it up", job_id, exc)


@event.listens_for(Session, "after_soft_rollback")
def _drop_pending_jobs(session: Session, previous_transaction) -> None:
    session.info.pop("pending_jobs", None)
