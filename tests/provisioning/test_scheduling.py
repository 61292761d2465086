"""Scheduled provisioning end to end on real Redis: rq-scheduler, a real RQ worker, the SMTP server."""
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from rq_scheduler import Scheduler
from sqlalchemy.exc import IntegrityError

from jobs.provisioning import run_due_imports, run_import
from jobs.sweep import sweep
from models import Import, ImportStatus, ItemStatus, OutboxEmail, Subscription, db, utcnow
from queues import AppContextJob, get_queue, get_redis
from services.provisioning import provisioning
from services.provisioning.provisioning import ProvisioningError
from tests.provisioning import cloud_setup, due_now, schedule, subscriptions_of
from tests.support import mail_text, run_jobs

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


def scheduler() -> Scheduler:
    return Scheduler(connection=get_redis(), queue_name="default", job_class=AppContextJob)


def wait_until(moment) -> None:
    time.sleep(max((moment - utcnow()).total_seconds(), 0) + 0.05)


def test_scheduled_import_completes_at_its_time_once_at_that_days_price(smtp):
    user, customer, product = cloud_setup()
    imp = schedule(user, customer, product, run_at=utcnow() + timedelta(seconds=2), quantity=3)
    assert imp.status is ImportStatus.PENDING
    assert [job.id for job in scheduler().get_jobs()] == [provisioning.due_job_id(imp.run_at)]

    scheduler().enqueue_jobs()  # not due yet: nothing moves to the queue
    assert get_queue("default").job_ids == []
    product.price = Decimal("16.40")  # the price changes between scheduling and run time
    db.session.commit()

    wait_until(imp.run_at)
    scheduler().enqueue_jobs()
    assert get_queue("default").job_ids == [provisioning.due_job_id(imp.run_at)]
    run_jobs("default")

    db.session.expire_all()
    imp = db.session.get(Import, imp.id)
    assert imp.status is ImportStatus.COMPLETED
    assert (imp.completed_count, imp.failed_count) == (1, 0)
    assert imp.started_at >= imp.run_at
    [subscription] = subscriptions_of(imp.id)
    assert subscription.unit_price == Decimal("16.40") and subscription.quantity == 3
    assert subscription.cancellable_until - subscription.created_at == timedelta(days=7)
    assert subscription.external_id and imp.items[0].external_id == subscription.external_id

    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert message["To"] == user.email and message["Subject"] == "Your import is completed"
    body = mail_text(message)
    for expected in (f"Created by: {user.name}", f"Import type: {product.sku}", "Completed accounts: 1",
                     "Failed accounts: 0", imp.created_at.strftime("%Y-%m-%d %H:%M:%S") + " UTC"):
        assert expected in body


def test_imports_due_in_the_same_second_share_one_scheduled_job():
    user, customer, product = cloud_setup()
    run_at = (utcnow() + timedelta(minutes=5)).replace(microsecond=0)
    ids = [schedule(user, customer, product, run_at=run_at).id for _ in range(3)]
    later = schedule(user, customer, product, run_at=run_at + timedelta(seconds=1))
    assert sorted(job.id for job in scheduler().get_jobs()) == sorted(
        [provisioning.due_job_id(run_at), provisioning.due_job_id(later.run_at)])
    assert len(set(ids)) == 3


def test_run_at_is_rounded_up_to_a_whole_second_so_the_job_never_runs_early():
    user, customer, product = cloud_setup()
    asked = (utcnow() + timedelta(minutes=5)).replace(microsecond=250_000)
    imp = schedule(user, customer, product, run_at=asked)
    assert imp.run_at == asked.replace(microsecond=0) + timedelta(seconds=1)


def test_the_job_run_twice_creates_one_subscription_and_one_email():
    user, customer, product = cloud_setup()
    imp = due_now(user, customer, product)
    assert run_due_imports() == 1
    assert run_due_imports() == 0
    assert run_import(imp.id) == "not claimed"
    assert len(subscriptions_of(imp.id)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 1


def test_a_second_subscription_for_the_same_item_is_refused_by_the_database():
    user, customer, product = cloud_setup()
    imp = due_now(user, customer, product)
    run_due_imports()
    [first] = subscriptions_of(imp.id)
    copy = Subscription(**{c.key: getattr(first, c.key) for c in Subscription.__table__.columns if c.key != "id"})
    db.session.add(copy)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_provision_now_is_enqueued_at_once_and_runs():
    user, customer, product = cloud_setup()
    imp = schedule(user, customer, product, run_at=None)
    assert imp.run_at <= utcnow()
    assert get_queue("default").job_ids == [provisioning.run_job_id(imp.id)]
    assert list(scheduler().get_jobs()) == []
    run_jobs("default")
    db.session.expire_all()
    assert db.session.get(Import, imp.id).status is ImportStatus.COMPLETED


def test_redis_flushed_after_scheduling_still_completes_through_the_sweep():
    user, customer, product = cloud_setup()
    imp = schedule(user, customer, product, run_at=utcnow() + timedelta(seconds=1))
    get_redis().flushdb()  # the scheduled job is gone
    wait_until(imp.run_at)
    scheduler().enqueue_jobs()
    run_jobs("default")
    db.session.expire_all()
    assert db.session.get(Import, imp.id).status is ImportStatus.PENDING  # nothing ran it
    result = sweep()
    assert result["imports_enqueued"] == 1
    assert sweep().get("imports_enqueued") is None  # its job is still queued: not sent twice
    run_jobs("default")
    db.session.expire_all()
    assert db.session.get(Import, imp.id).status is ImportStatus.COMPLETED
    assert len(subscriptions_of(imp.id)) == 1


def test_a_run_whose_worker_died_is_recovered_by_the_sweep_and_completes_once():
    from services.imports import imports, runner

    user, customer, product = cloud_setup()
    imp = due_now(user, customer, product)
    token, ids = imports.claim_due()
    db.session.commit()
    assert ids == [imp.id]  # ... and then the worker is killed before it writes anything
    db.session.execute(sa.update(Import).values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert sweep()["imports_recovered"] == 1
    run_jobs("default")
    assert runner.run_claimed(token, ids) == 0  # the dead run's late write is refused
    db.session.commit()
    db.session.expire_all()
    imp = db.session.get(Import, imp.id)
    assert imp.status is ImportStatus.COMPLETED and imp.attempts == 2
    assert len(subscriptions_of(imp.id)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 1


def test_a_late_batch_writes_only_the_imports_it_still_owns():
    from services.imports import imports, runner

    user, customer, product = cloud_setup()
    lost, kept = due_now(user, customer, product), due_now(user, customer, product)
    token, ids = imports.claim_due()
    db.session.commit()
    assert ids == [lost.id, kept.id]
    # The lease of one of them ran out meanwhile; the sweep gave it back and another run completed it.
    expired = utcnow() - timedelta(seconds=1)
    db.session.execute(sa.update(Import).where(Import.id == lost.id).values(lease_until=expired))
    imports.recover_expired_leases()
    db.session.commit()
    assert run_import(lost.id) == "done"
    assert runner.run_claimed(token, ids) == 1  # the first run finishes late: only `kept` is still its own
    db.session.commit()
    db.session.expire_all()
    assert [db.session.get(Import, i).status for i in ids] == [ImportStatus.COMPLETED] * 2
    assert len(subscriptions_of(lost.id)) == 1 and len(subscriptions_of(kept.id)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 2  # one e-mail each


def test_an_import_whose_worker_dies_on_every_attempt_ends_failed_with_the_reason(app):
    from services.imports import imports

    user, customer, product = cloud_setup()
    imp = due_now(user, customer, product)
    for attempt in range(1, app.config["IMPORT_MAX_ATTEMPTS"] + 1):
        assert imports.claim_due()[1] == [imp.id]  # ... and each time the worker is killed mid-run
        db.session.execute(sa.update(Import).values(lease_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        result = sweep()
        assert result.get("imports_failed", 0) == (attempt == app.config["IMPORT_MAX_ATTEMPTS"])
    assert run_due_imports() == 0  # never runs again by itself
    db.session.expire_all()
    imp = db.session.get(Import, imp.id)
    reason = ("Stopped after 3 attempts: The worker running the import stopped before it finished "
              "(killed, restarted or lost).")
    assert (imp.status, imp.failure_reason, imp.failed_count, imp.lease_until) == (ImportStatus.FAILED, reason, 1, None)
    assert imp.items[0].status is ItemStatus.FAILED and imp.items[0].reasons == [reason]
    assert subscriptions_of(imp.id) == []
    [email] = db.session.scalars(sa.select(OutboxEmail)).all()  # the creator is told why
    assert email.related_id == imp.id and "Status: FAILED" in email.body_text and reason in email.body_text


def test_many_due_imports_run_in_batches_and_call_a_helper_job(app, monkeypatch):
    from services.imports import imports

    monkeypatch.setattr(imports, "BATCH_SIZE", 4)
    user, customer, product = cloud_setup()
    ids = [due_now(user, customer, product).id for _ in range(10)]
    assert run_due_imports() == 10
    assert "run-due-imports-helper-0" in get_queue("default").job_ids
    db.session.expire_all()
    assert {db.session.get(Import, i).status for i in ids} == {ImportStatus.COMPLETED}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 10
    run_jobs("default")
    helper = get_queue("default").fetch_job("run-due-imports-helper-0")
    assert helper.get_status() == "finished" and helper.return_value() == 0  # nothing was left for it


def test_a_batch_claims_the_next_one_in_its_own_transaction(monkeypatch):
    """One commit a batch (plus the first claim): on SQLite the other worker waits half as often for the lock."""
    from services.imports import imports

    monkeypatch.setattr(imports, "BATCH_SIZE", 4)
    user, customer, product = cloud_setup()
    ids = [due_now(user, customer, product).id for _ in range(10)]
    commits, session = [], db.session()  # the session the run uses too (same app context)
    count = commits.append
    sa.event.listen(session, "after_commit", count)
    try:
        assert run_due_imports() == 10
    finally:
        sa.event.remove(session, "after_commit", count)
    assert len(commits) == 1 + 3  # batches of 4, 4 and 2; the last batch's claim finds nothing more
    db.session.expire_all()
    assert {db.session.get(Import, i).status for i in ids} == {ImportStatus.COMPLETED}


def test_a_run_past_its_deadline_claims_no_more_and_hands_over(monkeypatch):
    from jobs import provisioning as job
    from services.imports import imports

    monkeypatch.setattr(imports, "BATCH_SIZE", 4)
    monkeypatch.setattr(job, "DEADLINE_SECONDS", -1)
    user, customer, product = cloud_setup()
    ids = [due_now(user, customer, product).id for _ in range(6)]
    assert run_due_imports() == 4
    db.session.expire_all()
    statuses = [db.session.get(Import, i).status for i in ids]
    assert statuses == [ImportStatus.COMPLETED] * 4 + [ImportStatus.PENDING] * 2
    assert any(job_id.startswith("run-due-imports-continue-") for job_id in get_queue("default").job_ids)


def test_scheduling_refuses_a_time_in_the_past_or_beyond_a_year():
    user, customer, product = cloud_setup()
    for run_at in (utcnow() - timedelta(minutes=5), utcnow() + timedelta(days=366)):
        with pytest.raises(ProvisioningError) as excinfo:
            schedule(user, customer, product, run_at=run_at, min_lead=provisioning.MIN_LEAD)
        assert excinfo.value.field == "run_at"
        db.session.rollback()
    with pytest.raises(ProvisioningError):
        schedule(user, customer, product, run_at=utcnow() + timedelta(seconds=30), min_lead=provisioning.MIN_LEAD)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Import)) == 0


def test_items_record_their_result():
    user, customer, product = cloud_setup()
    imp = due_now(user, customer, product)
    run_import(imp.id)
    db.session.expire_all()
    item = db.session.get(Import, imp.id).items[0]
    assert item.status is ItemStatus.COMPLETED and item.reasons == []


def test_flask_jobs_worker_runs_a_due_import_in_a_forked_work_horse(app):
    import os
    import subprocess
    import sys
    from pathlib import Path

    user, customer, product = cloud_setup()
    imp = schedule(user, customer, product, run_at=None)  # Provision now: its job is queued
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=app.config["REDIS_URL"],
               SECRET_KEY=app.config["SECRET_KEY"])
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "jobs", "worker", "--burst", "default"],
                            cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    db.session.expire_all()
    assert db.session.get(Import, imp.id).status is ImportStatus.COMPLETED
    assert len(subscriptions_of(imp.id)) == 1
