"""Two processes assigning from the same license pool on PostgreSQL: never more than available."""
import multiprocessing

import pytest
import sqlalchemy as sa

from models import Assignment, License, LicenseStatus, OutboxEmail, db
from tests.assignments.support import setup_pool
from tests.drills.pool import assign_repeatedly

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

POOL = 40
ATTEMPTS = 30  # per process: each asks for 60 licenses in all, 120 between them


@pytest.fixture(autouse=True)
def _postgres_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("two processes really in parallel need PostgreSQL: set TEST_DATABASE_URL (CI does)")


def test_two_processes_never_assign_more_licenses_than_the_pool_holds(app):
    user, order, customer = setup_pool(POOL)
    ids = (user.id, order.id, order.lines[0].id, customer.id)
    context = multiprocessing.get_context("spawn")  # fresh interpreters: nothing shared but the database
    start, results = context.Barrier(2), context.Queue()
    config = {key: app.config[key] for key in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "REDIS_URL",
                                               "MAIL_SERVER", "MAIL_PORT", "PUBLIC_URL")}
    processes = [context.Process(target=assign_repeatedly, args=(config, ids, ATTEMPTS, start, results))
                 for _ in range(2)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0

    granted = [q for got, _ in outcomes for q in got]
    assert all(got and refused for got, refused in outcomes)  # both took part and both were refused
    db.session.expire_all()
    assigned = db.session.scalar(sa.select(sa.func.count(License.id)).where(License.status == LicenseStatus.ASSIGNED))
    assert assigned == sum(granted) == POOL  # all of the pool, never more
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == len(granted)
    assert db.session.scalar(sa.select(sa.func.sum(Assignment.quantity))) == POOL
    per_assignment = dict(db.session.execute(sa.select(License.assignment_id, sa.func.count())
                                             .where(License.assignment_id.is_not(None))
                                             .group_by(License.assignment_id)).all())
    quantities = dict(db.session.execute(sa.select(Assignment.id, Assignment.quantity)).all())
    assert per_assignment == quantities  # each assignment holds exactly the licenses it was granted
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == len(granted)  # one e-mail each
