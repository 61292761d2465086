"""The figures /ops/health reports: is each part of the machinery alive and keeping up."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from redis.exceptions import RedisError
from rq import Queue, Worker

from models import EmailStatus, Import, ImportStatus, OutboxEmail, db, utcnow
from queues import LAST_SWEEP_KEY, QUEUE_NAMES, get_redis

SCHEDULER_KEY_PATTERN = "rq:scheduler_instance:*"


def check() -> tuple[bool, dict[str, Any]]:
    """(healthy, report). Healthy means the database and Redis both answer."""
    report: dict[str, Any] = {"database": _database(), **_outbox(), **_imports()}
    report.update(_redis())
    healthy = report["database"] == "ok" and report["redis"] == "ok"
    report["status"] = "ok" if healthy else "fail"
    return healthy, report


def _database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
        return "ok"
    except sa.exc.SQLAlchemyError as exc:
        db.session.rollback()
        return f"error: {type(exc).__name__}"


def _outbox() -> dict[str, Any]:
    try:
        backlog, oldest = db.session.execute(
            sa.select(sa.func.count(), sa.func.min(OutboxEmail.created_at))
            .where(OutboxEmail.status.in_([EmailStatus.QUEUED, EmailStatus.SENDING]))).one()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return {"outbox_backlog": None, "outbox_oldest_age_seconds": None}
    age = (utcnow() - oldest).total_seconds() if oldest else 0
    return {"outbox_backlog": backlog, "outbox_oldest_age_seconds": round(age, 1)}


def _imports() -> dict[str, Any]:
    """PENDING imports whose run time has passed: a growing age means nothing is running them."""
    try:
        due, oldest = db.session.execute(
            sa.select(sa.func.count(), sa.func.min(Import.run_at))
            .where(Import.status == ImportStatus.PENDING, Import.run_at <= utcnow())).one()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return {"imports_due": None, "import_oldest_due_age_seconds": None}
    age = (utcnow() - oldest).total_seconds() if oldest else 0
    return {"imports_due": due, "import_oldest_due_age_seconds": round(age, 1)}


def _redis() -> dict[str, Any]:
    try:
        redis = get_redis()
        redis.ping()
        last_sweep = redis.get(LAST_SWEEP_KEY)
        return {
            "redis": "ok",
            "queues": {name: Queue(name, connection=redis).count for name in QUEUE_NAMES},
            "workers": Worker.count(connection=redis),
            "scheduler_alive": bool(redis.keys(SCHEDULER_KEY_PATTERN)),
            "last_sweep": last_sweep.decode() if last_sweep else None,
        }
    except (RedisError, OSError) as exc:
        return {"redis": f"error: {type(exc).__name__}", "queues": None, "workers": None,
                "scheduler_alive": None, "last_sweep": None}
