"""/ops/metrics: the /ops/health figures in the Prometheus text exposition format (version 0.0.4)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Response

from blueprints.ops import bp
from models import utcnow
from services import health

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# (report key, metric name, help). Every metric is a gauge; unknown values (a part is down) are left out.
GAUGES = [
    ("outbox_backlog", "canal_outbox_backlog", "E-mails queued or being sent."),
    ("outbox_oldest_age_seconds", "canal_outbox_oldest_age_seconds", "Age of the oldest unsent e-mail."),
    ("imports_due", "canal_imports_due", "PENDING imports whose run time has passed."),
    ("import_oldest_due_age_seconds", "canal_import_oldest_due_age_seconds",
     "Seconds since the run time of the oldest due PENDING import."),
    ("workers", "canal_workers", "RQ workers alive."),
    ("scheduler_alive", "canal_scheduler_alive", "1 if an rq-scheduler instance is alive."),
]


@bp.get("/metrics")
def metrics():
    _healthy, report = health.check()
    return Response("".join(exposition(report)), content_type=CONTENT_TYPE)


def exposition(report: dict[str, Any]) -> Iterator[str]:
    """The report as Prometheus lines: HELP and TYPE, then one sample per figure (and label)."""
    yield from _gauge("canal_up", "1 if the part answers.",
                      {(("component", part),): report.get(part) == "ok" for part in ("database", "redis")})
    yield from _gauge("canal_healthy", "1 if /ops/health answers 200.", {(): report.get("status") == "ok"})
    queues = report.get("queues") or {}
    yield from _gauge("canal_queue_jobs", "Jobs waiting in each RQ queue.",
                      {(("queue", name),): count for name, count in queues.items()})
    for key, name, help_text in GAUGES:
        yield from _gauge(name, help_text, {(): report.get(key)})
    last_sweep = _parse_time(report.get("last_sweep"))
    yield from _gauge("canal_last_sweep_timestamp_seconds", "Unix time of the last sweep.",
                      {(): last_sweep.timestamp() if last_sweep else None})
    yield from _gauge("canal_last_sweep_age_seconds", "Seconds since the last sweep.",
                      {(): (utcnow() - last_sweep).total_seconds() if last_sweep else None})


def _gauge(name: str, help_text: str, samples: dict[tuple, Any]) -> Iterator[str]:
    yield f"# HELP {name} {help_text}\n# TYPE {name} gauge\n"
    for labels, value in samples.items():
        if value is None:
            continue
        label_text = ",".join(f'{key}="{_escape(str(val))}"' for key, val in labels)
        yield f"{name}{{{label_text}}} {_number(value)}\n" if labels else f"{name} {_number(value)}\n"


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return repr(float(value)) if isinstance(value, float) else str(int(value))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _parse_time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
