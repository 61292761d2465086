"""A file import's lease: short (IMPORT_LEASE_SECONDS), renewed by every chunk, taken over by the sweep once it
lapses; a run that crashes on every attempt ends FAILED with the reason, shown to the reseller and to staff."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from jobs.sweep import sweep
from models import Import, ImportItem, ImportStatus, ImportUpload, ItemStatus, OutboxEmail, Role, db, utcnow
from services.imports import bulk_import, imports
from tests.bulk_import import CUSTOMER_HEADER, csv_bytes, customer_rows, run, upload, upload_id
from tests.factories import make_user
from tests.support import run_jobs

CRASH = "Unexpected error (AttributeError); the distributor has been notified."


@pytest.fixture
def user(login):
    return login(make_user())


def fresh(import_id: int) -> Import:
    db.session.expire_all()
    return db.session.get(Import, import_id)


def test_each_chunk_renews_a_short_lease_and_a_lapsed_one_is_taken_over(app, client, user, monkeypatch):
    lease = timedelta(seconds=app.config["IMPORT_LEASE_SECONDS"])
    monkeypatch.setattr(bulk_import, "CHUNK", 2)
    imp = run(client, upload_id(upload(client, csv_bytes(CUSTOMER_HEADER, customer_rows(5)))))
    claimed_at = utcnow()
    token = imports.claim_one(imp.id)
    db.session.commit()
    assert fresh(imp.id).lease_until <= claimed_at + lease + timedelta(seconds=1)  # not ten minutes
    job = bulk_import.prepare_run(imp.id, token)
    db.session.execute(sa.update(Import).values(lease_until=utcnow() - timedelta(seconds=1)))  # nearly lapsed
    bulk_import.process_chunk(job, job.chunks()[0])
    db.session.commit()
    renewed = fresh(imp.id).lease_until
    assert utcnow() + lease - timedelta(seconds=5) < renewed <= utcnow() + lease
    assert sweep().get("imports_recovered") is None  # a live run keeps its work

    # ... and the worker dies here: a lease later (the stored lease in the past) the sweep takes it over.
    db.session.execute(sa.update(Import).values(lease_until=renewed - lease - timedelta(seconds=1)))
    db.session.commit()
    assert sweep()["file_imports_enqueued"] == 1
    run_jobs("default")
    imp = fresh(imp.id)
    assert (imp.status, imp.attempts, imp.processed_count, imp.completed_count) == (ImportStatus.COMPLETED, 2, 5, 5)
    assert imp.failure_reason is None and imp.lease_until is None
    assert sorted(db.session.scalars(sa.select(ImportItem.row_number))) == [1, 2, 3, 4, 5]  # each row once


def test_a_run_that_crashes_every_time_ends_failed_with_the_reason_after_three_attempts(client, login, user):
    imp = run(client, upload_id(upload(client, csv_bytes(CUSTOMER_HEADER, customer_rows(3)))))
    # The stored rows are damaged (not text): validating them raises, on every attempt.
    db.session.execute(sa.update(ImportUpload).values(rows=[[1, 2, 3, 4, 5]] * 3))
    db.session.commit()
    for attempt in (1, 2, 3):
        run_jobs("default")  # the job fails; the import notes why and gives up its lease at once
        imp = fresh(imp.id)
        assert (imp.status, imp.attempts, imp.failure_reason) == (ImportStatus.RUNNING, attempt, CRASH)
        assert imp.lease_until <= utcnow()
        result = sweep()
        assert result.get("file_imports_enqueued") == (1 if attempt < 3 else None)
        assert result.get("imports_failed") == (1 if attempt == 3 else None)
    run_jobs("default")  # nothing left to run
    imp = fresh(imp.id)
    reason = f"Stopped after 3 attempts: {CRASH}"
    assert (imp.status, imp.attempts, imp.failure_reason) == (ImportStatus.FAILED, 3, reason)
    assert (imp.processed_count, imp.completed_count, imp.failed_count) == (3, 0, 3)
    items = db.session.scalars(sa.select(ImportItem).order_by(ImportItem.row_number)).all()
    assert [(i.row_number, i.status, i.reasons) for i in items] == [(n, ItemStatus.FAILED, [reason]) for n in (1, 2, 3)]
    [email] = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.related_id == imp.id)).all()
    assert email.to_addr == user.email and "Status: FAILED" in email.body_text and reason in email.body_text

    mine = client.get("/imports/").text
    assert reason in mine and f"/imports/{imp.id}/retry" not in mine  # a file import is uploaded again instead
    page = client.get(f"/imports/{imp.id}/file").text
    assert 'id="failure-reason"' in page and reason in page and "Download failed rows" in page
    assert client.post(f"/imports/{imp.id}/retry").status_code in (303, 422)
    assert fresh(imp.id).status is ImportStatus.FAILED

    login(make_user(role=Role.STAFF, reseller=None))
    staff = client.get("/admin/imports/?status=FAILED").text
    assert reason in staff and f"/admin/imports/{imp.id}/retry" not in staff
