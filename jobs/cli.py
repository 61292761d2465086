"""`flask jobs worker` and `flask jobs scheduler`: the RQ processes, run inside the app.

Both outlive Redis: when it goes away they wait for it with backoff and start again on a fresh RQ
worker or scheduler (the scheduler registers the periodic jobs again, as Redis may come back empty).
Only a stop signal (or a burst run's end) ends them.
"""
from __future__ import annotations

import gc
import logging
import os
import time
import warnings

import click
from flask import current_app
from flask.cli import AppGroup
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Worker, worker_registration
from rq.exceptions import StopRequested
from rq_scheduler import Scheduler
from sqlalchemy.orm import configure_mappers

from jobs.schedule import register_missing_periodic, sync_schedule
from models import db
from queues import QUEUE_NAMES, AppContextJob, get_redis

log = logging.getLogger(__name__)
jobs_cli = AppGroup("jobs", help="Run the background machinery.")
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
FIRST_WAIT, LONGEST_WAIT = 1.0, 30.0  # seconds between attempts to reach Redis again, doubling


class StopAwareWorker(Worker):
    """An RQ worker that remembers a stop signal: its work() also ends when Redis goes away, and only
    after a stop signal must the reconnecting loop not start another."""

    stop_signalled = False

    def request_stop(self, signum, frame):
        self.stop_signalled = True
        super().request_stop(signum, frame)

    def unsubscribe(self) -> None:
        """Stop listening for commands without waiting for the pub/sub thread: RQ joins it, and its read
        lasts up to 60 s (with redis-py 8.2 one stop in two took a minute). It closes its connection as it
        ends, and is a daemon: it holds no exit."""
        if self.pubsub_thread:
            self.pubsub_thread.stop(timeout=0)

    def heartbeat(self, timeout: int | None = None, pipeline=None) -> None:
        """RQ retries its BLPOP through an outage, but a Redis that came back empty no longer lists this
        worker (health's worker count, the sweep's liveness checks): register it again, as at birth."""
        super().heartbeat(timeout, pipeline)
        if pipeline is None and not self.connection.sismember(self.redis_workers_keys, self.key):
            self.connection.hset(self.key, mapping=self.serialize())
            worker_registration.register(self)


class OutageProofScheduler(Scheduler):
    """A scheduler that keeps the periodic jobs registered and hears a stop signal during an outage.

    redis-py retries a command through a short outage, so a Redis that came back empty may raise nothing:
    each pass (under the lock) first adds any periodic job missing from the schedule. On a stop signal
    rq-scheduler removes its lock and registers its death before exiting; with Redis down those writes
    raise, which would hide the stop from the reconnecting loop: both keys expire by themselves.
    """

    def enqueue_jobs(self):
        register_missing_periodic(self)
        return super().enqueue_jobs()

    def register_death(self) -> None:
        try:
            super().register_death()
        except REDIS_DOWN:
            log.warning("Redis unreachable: the scheduler's key expires by itself")

    def remove_lock(self) -> None:
        try:
            super().remove_lock()
        except REDIS_DOWN:
            log.warning("Redis unreachable: the scheduler's lock expires by itself")


def wait_for_redis(redis: Redis, what: str) -> None:
    """Wait (doubling the pause up to LONGEST_WAIT) until Redis answers again."""
    pause = FIRST_WAIT
    while True:
        time.sleep(pause)
        try:
            redis.ping()
        except REDIS_DOWN as exc:
            log.warning("%s: Redis still unreachable (%s); next try in %.0f s", what, exc, pause)
            pause = min(pause * 2, LONGEST_WAIT)
            continue
        log.warning("%s: Redis is back; starting again", what)
        return


@jobs_cli.command("worker")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues: tuple[str, ...], burst: bool) -> None:
    """Work on QUEUES (default: all of Canal's queues)."""
    configure_mappers()  # once, before forking, so no work horse pays for it
    engine = db.engine
    engine.dispose()
    # A forked work horse must not reuse the parent's pooled connections.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    # The worker blocks on BLPOP for minutes: no socket timeout on its connection.
    redis = Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=None)
    # As in gunicorn.conf.py: what is loaded now lives as long as the worker, so each work horse's full
    # collections skip it.
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    while True:
        # A new worker (new name) each time: Redis may have come back empty, without our registration.
        rq_worker = StopAwareWorker(list(queues) or list(QUEUE_NAMES), connection=redis, job_class=AppContextJob)
        try:
            rq_worker.work(burst=burst)
        except REDIS_DOWN as exc:
            log.warning("Worker: lost Redis (%s)", exc)
            rq_worker.unsubscribe()  # RQ's teardown could not get that far: its pub/sub thread would live on
        if burst or rq_worker.stop_signalled:
            return
        try:
            wait_for_redis(redis, "Worker")
        except StopRequested:
            return  # RQ's signal handler, still installed, answers a stop while we wait


@jobs_cli.command("scheduler")
@click.option("--interval", default=1.0, show_default=True,
              help="Seconds between checks for due jobs.")
def scheduler(interval: float) -> None:
    """Enqueue scheduled jobs when they are due and keep the periodic jobs registered."""
    # rq-scheduler calls crontab without default_utc; our times are aware UTC, so the notice is moot.
    warnings.filterwarnings("ignore", category=FutureWarning, module="rq_scheduler")
    while True:
        s = OutageProofScheduler(connection=get_redis(), queue_name="maintenance", interval=interval,
                                 job_class=AppContextJob)
        try:
            sync_schedule(s)  # again after an outage: Redis may have come back without the periodic jobs
            s.run()  # takes the lock on each pass; returns only through a stop signal (SystemExit)
            return
        except REDIS_DOWN as exc:
            log.warning("Scheduler: lost Redis (%s)", exc)
        wait_for_redis(get_redis(), "Scheduler")
