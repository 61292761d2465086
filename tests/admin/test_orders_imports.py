"""Orders and imports of every reseller: filters, retry and cancel, and a suspended reseller's import failing."""
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from rq.job import Job
from rq_scheduler import Scheduler

from jobs.provisioning import run_due_imports
from models import AuditEvent, ImportStatus, ItemStatus, OrderStatus, Role, db, utcnow
from queues import get_redis
from tests.factories import make_order, make_product, make_reseller, make_user
from tests.provisioning import cloud_setup, due_now, schedule, subscriptions_of
from tests.support import HX, run_jobs


@pytest.fixture
def staff(login):
    return login(make_user(Role.STAFF))


def ids(html: str, kind: str) -> list[int]:
    return [int(i) for i in re.findall(rf'<tr id="{kind}-(\d+)">', html)]


def audited(action: str, obj) -> bool:
    return db.session.scalar(sa.select(AuditEvent.id).where(
        AuditEvent.action == action, AuditEvent.object_id == str(obj.id))) is not None


# --- orders --------------------------------------------------------------------------------------

def test_orders_of_every_reseller_filtered_by_reseller_status_and_date(client, staff):
    andes, pampa = make_user(reseller=make_reseller(name="Andes SA")), make_user(reseller=make_reseller(name="Pampa"))
    old = make_order(andes, status=OrderStatus.APPROVED, created_at=datetime(2026, 1, 10, 23, 59, tzinfo=UTC))
    pending = make_order(andes, lines=[(make_product(), 6)])
    other = make_order(pampa, status=OrderStatus.REJECTED)
    db.session.commit()
    page = client.get("/admin/orders/").text
    assert ids(page, "order") == [other.id, pending.id, old.id]  # newest first
    assert f'href="/admin/approvals/{pending.id}" class="small">Approve or reject' in page and "0 of 6" in page
    assert ids(client.get(f"/admin/orders/?reseller={andes.reseller_id}").text, "order") == [pending.id, old.id]
    assert ids(client.get("/admin/orders/?status=REJECTED").text, "order") == [other.id]
    assert ids(client.get("/admin/orders/?since=2026-01-10&until=2026-01-10").text, "order") == [old.id]
    assert ids(client.get("/admin/orders/?until=2026-01-09").text, "order") == []
    fragment = client.get(f"/admin/orders/?status=PENDING&reseller={pampa.reseller_id}", headers=HX).text
    assert "<html" not in fragment and "No orders match these filters." in fragment


def test_orders_bad_filters_answer_422_and_pages_are_keyset(client, staff):
    user = make_user()
    orders = [make_order(user) for _ in range(55)]
    db.session.commit()
    assert client.get("/admin/orders/?since=2026-02-01&until=2026-01-01").status_code == 422
    assert client.get("/admin/orders/?status=BOGUS").status_code == 422
    assert client.get("/admin/orders/?since=yesterday").status_code == 422
    first = client.get("/admin/orders/").text
    assert len(ids(first, "order")) == 50
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert ids(client.get(older).text, "order") == [o.id for o in orders[:5]][::-1]


def test_orders_empty_state(client, staff):
    assert "No orders have been placed yet." in client.get("/admin/orders/").text


# --- imports -------------------------------------------------------------------------------------

def test_imports_of_every_reseller_filtered_by_reseller_status_date_and_due_soon(client, staff):
    user, customer, product = cloud_setup()
    other_user, other_customer, other_product = cloud_setup()
    soon = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=2))
    later = schedule(user, customer, product, run_at=utcnow() + timedelta(days=3))
    theirs = schedule(other_user, other_customer, other_product, run_at=utcnow() + timedelta(hours=5))
    theirs.status = ImportStatus.FAILED
    db.session.commit()
    assert ids(client.get("/admin/imports/").text, "import") == [theirs.id, later.id, soon.id]
    assert ids(client.get(f"/admin/imports/?reseller={user.reseller_id}").text, "import") == [later.id, soon.id]
    assert ids(client.get("/admin/imports/?status=FAILED").text, "import") == [theirs.id]
    assert ids(client.get("/admin/imports/?status=PENDING&due=24h").text, "import") == [soon.id]
    day = later.run_at.date().isoformat()
    assert ids(client.get(f"/admin/imports/?since={day}&until={day}").text, "import") == [later.id]
    assert client.get("/admin/imports/?due=tomorrow").status_code == 422
    empty = make_reseller()
    db.session.commit()
    assert "No imports match these filters." in client.get(f"/admin/imports/?reseller={empty.id}").text
    assert client.get("/admin/imports/?reseller=99999").status_code == 422  # not a reseller


def test_cancel_a_pending_import_asks_first_and_is_audited(client, staff):
    user, customer, product = cloud_setup()
    imp = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=2))
    page = client.get("/admin/imports/?status=PENDING").text
    assert f"Are you sure you want to cancel import #{imp.id}" in page and 'data-confirm-yes="Yes, do it"' in page
    response = client.post(f"/admin/imports/{imp.id}/cancel", data={"back": "/admin/imports/?status=PENDING"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/imports/?status=PENDING"
    db.session.expire_all()
    assert imp.status is ImportStatus.CANCELLED and imp.items[0].status is ItemStatus.CANCELLED
    assert audited("import.cancelled", imp)
    again = client.post(f"/admin/imports/{imp.id}/cancel", data={"back": "https://evil.test/"}, follow_redirects=True)
    assert "Only a pending import can be cancelled" in again.text and again.request.path == "/admin/imports/"
    assert client.post("/admin/imports/999/cancel").status_code == 404


def test_retry_a_failed_import_puts_it_back_to_pending_due_now_and_runs_it(client, staff):
    user, customer, product = cloud_setup()
    imp = due_now(user, customer, product)
    product.active = False  # withdrawn for a moment: the run fails
    db.session.commit()
    run_due_imports()
    db.session.expire_all()
    assert imp.status is ImportStatus.FAILED
    assert f"The service {product.name} is not active." in client.get("/admin/imports/?status=FAILED").text
    product.active = True
    db.session.commit()
    before = utcnow().replace(microsecond=0)
    assert client.post(f"/admin/imports/{imp.id}/retry").status_code == 303
    db.session.expire_all()
    assert imp.status is ImportStatus.PENDING and imp.run_at >= before and imp.items[0].status is ItemStatus.PENDING
    assert audited("import.retried", imp)
    run_jobs("default")  # enqueued after commit: the real job runs it
    db.session.expire_all()
    assert imp.status is ImportStatus.COMPLETED and len(subscriptions_of(imp.id)) == 1
    refused = client.post(f"/admin/imports/{imp.id}/retry", follow_redirects=True)
    assert "Only a failed scheduled import can be retried" in refused.text


def test_a_suspended_reseller_s_scheduled_import_fails_parent_account_not_active(client, staff):
    user, customer, product = cloud_setup()
    imp = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=1))
    assert client.post(f"/admin/resellers/{user.reseller_id}/suspend").status_code == 303
    imp.run_at = utcnow() - timedelta(seconds=1)  # the scheduled time has come
    db.session.commit()
    scheduler = Scheduler(queue_name="default", connection=get_redis())
    [job] = list(scheduler.get_jobs())  # what schedule_import asked rq-scheduler for
    scheduler.enqueue_job(job)          # as rq-scheduler does at run_at
    run_jobs("default")
    assert Job.fetch(job.id, connection=get_redis()).return_value() == 1  # it ran the one due import
    db.session.expire_all()
    assert imp.status is ImportStatus.FAILED and imp.failed_count == 1
    reasons = imp.items[0].reasons
    assert any(r.startswith("Parent account not active") for r in reasons), reasons
    assert subscriptions_of(imp.id) == []
    assert "Parent account not active" in client.get("/admin/imports/?status=FAILED").text
