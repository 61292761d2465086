"""100 cancel-versus-run races, each side in its own thread and app context: never both win."""
import threading
from collections import Counter

import pytest
import sqlalchemy as sa

from jobs.provisioning import run_import
from models import Import, ImportStatus, OutboxEmail, db
from services.imports import imports
from services.imports.imports import ImportStateError
from tests.drills.support import subscriptions_per_item
from tests.provisioning import cloud_setup, due_now

pytestmark = pytest.mark.slow

RACES = 100


def race(app, user, import_id: int) -> dict[str, str]:
    start, result = threading.Barrier(2), {}

    def cancel():
        with app.app_context():
            start.wait()
            try:
                imports.cancel_import(user.reseller_id, import_id, user)
                db.session.commit()
                result["cancel"] = "won"
            except ImportStateError:
                db.session.rollback()
                result["cancel"] = "refused"

    def run():
        with app.app_context():
            start.wait()
            result["run"] = run_import(import_id)

    threads = [threading.Thread(target=cancel), threading.Thread(target=run)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return result


def test_a_hundred_cancel_versus_run_races_never_both_win(app):
    user, customer, product = cloud_setup()
    outcomes: Counter = Counter()
    for _ in range(RACES):
        imp = due_now(user, customer, product)
        item_id = imp.items[0].id
        result = race(app, user, imp.id)
        db.session.expire_all()
        status = db.session.get(Import, imp.id).status
        made = subscriptions_per_item().get(item_id, 0)
        if result["cancel"] == "won":
            assert (result["run"], status, made) == ("not claimed", ImportStatus.CANCELLED, 0)
        else:
            assert (result["cancel"], result["run"], status, made) == (
                "refused", "done", ImportStatus.COMPLETED, 1)
        outcomes[result["cancel"]] += 1
    assert sum(outcomes.values()) == RACES
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == outcomes["refused"]
