"""Redis SHUTDOWN NOSAVE after imports were scheduled (and while one more is scheduled), then a restart:
the database is the source of truth, so the sweep finds every due import; cancelled ones stay cancelled."""
import time
from datetime import timedelta

import pytest
import redis
from rq_scheduler import Scheduler

from jobs.sweep import sweep
from models import db, utcnow
from queues import get_redis
from services.imports import imports
from tests import conftest
from tests.drills.support import completion_mails, items_of, outbox_for, statuses, subscriptions_per_item
from tests.provisioning import cloud_setup, schedule
from tests.support import run_jobs

pytestmark = pytest.mark.slow

SCHEDULED = 10
CANCELLED = 3


@pytest.fixture
def app_config(migrated_database, private_redis, smtp):
    return conftest.test_config(migrated_database, private_redis[0], smtp.port)


def shutdown_nosave() -> None:
    try:
        get_redis().shutdown(nosave=True)
    except redis.ConnectionError:
        pass  # the server went away while answering: that is the point


def test_redis_shutdown_nosave_then_restart_loses_no_scheduled_import(app, smtp, private_redis):
    _, restart = private_redis
    user, customer, product = cloud_setup()
    run_at = utcnow() + timedelta(seconds=4)
    ids = [schedule(user, customer, product, run_at=run_at, name=f"redis-{n}").id for n in range(SCHEDULED)]
    for import_id in ids[:CANCELLED]:
        imports.cancel_import(user.reseller_id, import_id, user)
    db.session.commit()
    assert len(list(Scheduler(connection=get_redis(), queue_name="default").get_jobs())) == 1  # one job per second

    shutdown_nosave()
    late = schedule(user, customer, product, run_at=run_at, name="redis-late")  # committed; enqueue fails
    ids.append(late.id)
    restart()
    assert get_redis().dbsize() == 0  # every scheduled job is gone

    time.sleep(max((late.run_at - utcnow()).total_seconds(), 0) + 0.1)  # run_at is rounded up to a second
    assert sweep()["imports_enqueued"] == 1
    run_jobs("default")
    assert sweep().get("imports_enqueued") is None  # nothing due is left
    run_jobs("mail")

    expected = SCHEDULED + 1 - CANCELLED
    assert statuses(ids) == {"COMPLETED": expected, "CANCELLED": CANCELLED}
    completed_items = items_of(ids[CANCELLED:])
    assert subscriptions_per_item() == dict.fromkeys(completed_items, 1)
    smtp.wait_for_messages(expected)
    mails = completion_mails(smtp)
    assert sorted(name.split(" · ")[0] for _, name in mails) == sorted(
        [f"redis-{n}" for n in range(CANCELLED, SCHEDULED)] + ["redis-late"])
    assert set(mails.values()) == {1}
    assert len(outbox_for(ids)) == expected
