"""`flask jobs worker` and `flask jobs scheduler`: the RQ processes, run inside the app."""
from __future__ import annotations

import gc
import os
import warnings

import click
from flask import current_app
from flask.cli import AppGroup
from redis import Redis
from rq import Worker
from sqlalchemy.orm import configure_mappers

from jobs import QUEUE_NAMES, get_redis
from jobs.schedule import PunctualScheduler, sync_schedule
from jobs.worker import AppContextJob
from models import db

jobs_cli = AppGroup("jobs", help="Run the background machinery.")


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
    # collections skip it (2-5 % less CPU in a due-imports run).
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    Worker(list(queues) or list(QUEUE_NAMES), connection=redis, job_class=AppContextJob).work(burst=burst)


@jobs_cli.command("scheduler")
@click.option("--interval", default=1.0, show_default=True,
              help="Longest sleep between checks; a job due sooner wakes the scheduler on time.")
def scheduler(interval: float) -> None:
    """Enqueue scheduled jobs when they are due and keep the periodic jobs registered."""
    # rq-scheduler calls crontab without default_utc; our times are aware UTC, so the notice is moot.
    warnings.filterwarnings("ignore", category=FutureWarning, module="rq_scheduler")
    s = PunctualScheduler(connection=get_redis(), queue_name="maintenance", interval=interval,
                          job_class=AppContextJob)
    sync_schedule(s)
    s.run()
