"""Two `flask jobs scheduler` and three `flask jobs worker` processes, 500 imports due in the same second:
500 subscriptions (one per import item: the unique constraint is the guard) and each completion e-mail once."""
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import EmailStatus, ImportItem, db, utcnow
from services.provisioning import new_service, provisioning
from tests.drills.support import (
    Processes,
    completion_mails,
    items_of,
    outbox_for,
    process_env,
    statuses,
    subscriptions_per_item,
)
from tests.provisioning import cloud_setup
from tests.support import wait_for

pytestmark = pytest.mark.slow

IMPORTS = 500


@pytest.fixture
def processes(app, smtp, tmp_path):
    processes = Processes(process_env(app, smtp.port), tmp_path)
    yield processes
    processes.stop_all()


def schedule_many(user, customer, product, run_at) -> list[int]:
    """Through the real service (as the wizard's last step), in one transaction to keep the drill short."""
    ids = []
    for n in range(IMPORTS):
        draft = new_service.get_draft(user, customer, create=True)
        draft.choose(product)
        draft.config = {**new_service.default_config(product, customer), "name": f"many-{n}"}
        ids.append(provisioning.schedule_import(draft, customer, user, run_at, min_lead=timedelta(0)).id)
    db.session.commit()
    return ids


def all_sent(ids) -> bool:
    emails = outbox_for(ids)
    return len(emails) == IMPORTS and {e.status for e in emails} == {EmailStatus.SENT}


def test_two_schedulers_and_three_workers_run_500_imports_due_in_the_same_second_once_each(
        smtp, processes):
    user, customer, product = cloud_setup()
    run_at = (utcnow() + timedelta(seconds=20)).replace(microsecond=0)
    ids = schedule_many(user, customer, product, run_at)  # first: the processes' start-up would slow it down
    for _ in range(2):
        processes.start("scheduler", "--interval", "1")
    for _ in range(3):
        processes.start("worker")
    assert utcnow() < run_at - timedelta(seconds=3), "scheduling took too long for this drill's run_at"

    wait_for(lambda: statuses(ids) == {"COMPLETED": IMPORTS}, 120)
    wait_for(lambda: all_sent(ids), 120)
    smtp.wait_for_messages(IMPORTS, 30)
    time.sleep(2)  # a duplicate would be on its way by now

    items = items_of(ids)
    assert len(items) == IMPORTS
    assert subscriptions_per_item() == dict.fromkeys(items, 1)
    mails = completion_mails(smtp)
    assert len(mails) == IMPORTS and set(mails.values()) == {1}, processes.logs()
    assert len(outbox_for(ids)) == IMPORTS
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportItem)
                             .where(ImportItem.status != "COMPLETED")) == 0
