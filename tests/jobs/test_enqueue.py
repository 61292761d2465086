"""Jobs reach Redis only when their transaction commits."""
from jobs import enqueue_after_commit, get_queue
from models import Reseller, db


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
