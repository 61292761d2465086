"""Helpers shared by the tests: htmx header sets, a mail parser, running queued jobs."""
from __future__ import annotations

import socket
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from rq import SimpleWorker

from queues import QUEUE_NAMES, AppContextJob, get_queue, get_redis

HX = {"HX-Request": "true"}                                  # a targeted htmx request
HX_BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}   # boosted navigation: wants the page


class BurstWorker(SimpleWorker):
    """A SimpleWorker that does not subscribe to its command channel.

    A burst run takes no stop/kill commands, and with redis-py 8.2 closing the pub/sub thread's
    connection waits for its 60 s read to time out: every run_jobs() stalled a minute at teardown.
    """

    def subscribe(self) -> None:
        pass


def run_jobs(*queues: str) -> None:
    """Run every queued job with a real RQ worker on the real Redis until the queues are empty.

    SimpleWorker (no fork) so the jobs share the test's app; `flask jobs worker` is tested apart.
    """
    names = list(queues) or list(QUEUE_NAMES)
    worker = BurstWorker([get_queue(n) for n in names], connection=get_redis(), job_class=AppContextJob)
    worker.work(burst=True)  # RQ 3 counts finished jobs in Redis only: assert on the state the jobs left


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse_mail(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def mail_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return body.get_content() if body else ""


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll until predicate() is truthy; return its value or fail with a clear message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
