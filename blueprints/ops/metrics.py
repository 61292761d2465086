"""/ops/metrics: the /ops/health figures in the Prometheus text exposition format (version 0.0.4).

prometheus_client (the Prometheus project's own client) writes the format: its escaping and number
formatting are the ones Prometheus parses. Nothing is counted in this process: a collector reads the
health report (database and Redis) when Prometheus scrapes, so every web worker answers the same.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.registry import Collector

from blueprints.ops import bp
from models import utcnow
from services import health

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

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


class HealthCollector(Collector):
    """The health report as gauges, read at scrape time (inside the request's app context)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        _healthy, report = health.check()
        yield from gauges(report)


REGISTRY = CollectorRegistry(auto_describe=False)  # not the default one: no process/platform metrics
REGISTRY.register(HealthCollector())


@bp.get("/metrics")
def metrics():
    return Response(generate_latest(REGISTRY), content_type=CONTENT_TYPE)


def gauges(report: dict[str, Any]) -> Iterator[GaugeMetricFamily]:
    """One gauge family per figure; a figure the report does not know (a part is down) has no sample."""
    up = GaugeMetricFamily("canal_up", "1 if the part answers.", labels=["component"])
    for part in ("database", "redis"):
        up.add_metric([part], float(report.get(part) == "ok"))
    yield up
    yield _gauge("canal_healthy", "1 if /ops/health answers 200.", report.get("status") == "ok")
    queue_jobs = GaugeMetricFamily("canal_queue_jobs", "Jobs waiting in each RQ queue.", labels=["queue"])
    for name, count in (report.get("queues") or {}).items():
        queue_jobs.add_metric([name], float(count))
    yield queue_jobs
    for key, name, help_text in GAUGES:
        yield _gauge(name, help_text, report.get(key))
    last_sweep = _parse_time(report.get("last_sweep"))
    yield _gauge("canal_last_sweep_timestamp_seconds", "Unix time of the last sweep.",
                 last_sweep.timestamp() if last_sweep else None)
    yield _gauge("canal_last_sweep_age_seconds", "Seconds since the last sweep.",
                 (utcnow() - last_sweep).total_seconds() if last_sweep else None)


def _gauge(name: str, help_text: str, value: Any) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, help_text)
    if value is not None:
        family.add_metric([], float(value))
    return family


def _parse_time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
