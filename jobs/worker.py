"""The job class that gives every job its own app context."""
from __future__ import annotations

from functools import cache

from flask import Flask, current_app, has_app_context
from rq.job import Job


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
