"""The ops home: the machinery at a glance, from the same report /ops/health and /ops/metrics give
(services.health), with the failed jobs per queue beside it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from rq import Queue

from models import utcnow
from queues import QUEUE_NAMES, get_redis
from services import health

SWEEP_LATE = timedelta(minutes=3)  # the sweep runs every minute: three missed runs is a problem


@dataclass(frozen=True)
class QueueState:
    name: str
    waiting: int | None
    failed: int | None


@dataclass(frozen=True)
class OpsStatus:
    healthy: bool
    database: str
    redis: str
    queues: list[QueueState]
    workers: int | None
    scheduler_alive: bool | None
    last_sweep: datetime | None
    sweep_late: bool
    outbox_backlog: int | None
    outbox_oldest_age_seconds: float | None
    imports_due: int | None

    @property
    def failed_jobs(self) -> int:
        return sum(q.failed or 0 for q in self.queues)


def ops_status(now: datetime | None = None) -> OpsStatus:
    now = now or utcnow()
    healthy, report = health.check()
    waiting = report.get("queues") or {}
    failed = failed_jobs() if report["redis"] == "ok" else {}
    last_sweep = datetime.fromisoformat(report["last_sweep"]) if report.get("last_sweep") else None
    return OpsStatus(
        healthy=healthy, database=report["database"], redis=report["redis"],
        queues=[QueueState(name, waiting.get(name), failed.get(name)) for name in QUEUE_NAMES],
        workers=report.get("workers"), scheduler_alive=report.get("scheduler_alive"), last_sweep=last_sweep,
        sweep_late=last_sweep is None or now - last_sweep > SWEEP_LATE,
        outbox_backlog=report.get("outbox_backlog"), outbox_oldest_age_seconds=report.get("outbox_oldest_age_seconds"),
        imports_due=report.get("imports_due"))


def failed_jobs() -> dict[str, int]:
    """Jobs in each queue's failed registry (what /ops/rq/ lets ops requeue)."""
    try:
        redis = get_redis()
        return {name: Queue(name, connection=redis).failed_job_registry.count for name in QUEUE_NAMES}
    except (RedisError, OSError):
        return {}
