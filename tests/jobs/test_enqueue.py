"""Jobs reach Redis only when their transaction commits."""
import logging

import pytest
from redis import Redis

from models import Reseller, db
from queues import enqueue_after_commit, enqueue_unique, get_queue
from tests.support import free_port

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


def test_job_is_enqueued_after_commit_and_not_before():
    db.session.add(Reseller(name="Acme"))
    enqueue_after_commit("default", "jobs.sweep.sweep", job_id="probe-1")
    db.session.flush()
    assert get_queue("default").job_ids == []
    db.session.commit()
    assert get_queue("default").job_ids == ["probe-1"]


def test_job_is_dropped_on_rollback():
    db.session.add(Reseller(name="Acme"))
    enqueue_after_commit("default", "jobs.sweep.sweep", job_id="probe-2")
    db.session.rollback()
    db.session.commit()  # a later, empty commit must not send the dropped job
    assert get_queue("default").job_ids == []


def test_the_same_job_id_is_enqueued_once():
    for _ in range(2):
        enqueue_after_commit("default", "jobs.sweep.sweep", job_id="probe-3")
        db.session.commit()
    assert get_queue("default").job_ids == ["probe-3"]


def test_a_queued_job_that_is_in_no_queue_is_enqueued_again():
    """A worker popped it and died before starting it: its status says QUEUED, but nothing will run it."""
    assert enqueue_unique("default", "jobs.sweep.sweep", job_id="probe-4")
    assert not enqueue_unique("default", "jobs.sweep.sweep", job_id="probe-4")  # alive: waiting in its queue
    get_queue("default").remove("probe-4")
    assert get_queue("default").fetch_job("probe-4").get_status() == "queued"
    assert enqueue_unique("default", "jobs.sweep.sweep", job_id="probe-4")
    assert get_queue("default").job_ids == ["probe-4"]


def test_with_redis_down_the_commit_stands_and_one_line_says_the_sweep_will_send_it(app, caplog):
    app.extensions["canal_redis"] = Redis(port=free_port(), socket_connect_timeout=1)  # nothing listens there
    db.session.add(Reseller(name="Acme"))
    enqueue_after_commit("default", "jobs.sweep.sweep", job_id="probe-5")
    with caplog.at_level(logging.WARNING, logger="queues"):
        db.session.commit()
    [record] = [r for r in caplog.records if r.name == "queues"]
    assert record.levelno == logging.WARNING and record.exc_info is None  # no traceback for an expected outage
    message = record.getMessage()
    assert message.startswith("Could not enqueue probe-5 (") and message.endswith("; the sweep will pick it up")
    assert db.session.scalar(db.select(Reseller.id).where(Reseller.name == "Acme")) is not None
