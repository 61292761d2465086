"""A due batch keeps its claim while its vendor calls go on: the heartbeat renews the short lease, durably."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from jobs.provisioning import _Heartbeat
from models import Import, ImportStatus, db, utcnow
from services.imports import imports, runner
from tests.provisioning import cloud_setup, due_now

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


def test_the_heartbeat_renews_the_lease_of_a_batch_mid_run_and_the_renewal_is_committed(app):
    lease = timedelta(seconds=app.config["IMPORT_LEASE_SECONDS"])
    user, customer, product = cloud_setup()
    ids = [due_now(user, customer, product).id for _ in range(2)]
    token, claimed = imports.claim_due()
    db.session.commit()
    assert claimed == ids
    assert all(imp.lease_until <= utcnow() + lease for imp in db.session.scalars(sa.select(Import)))
    db.session.execute(sa.update(Import).values(lease_until=utcnow() + timedelta(seconds=1)))  # about to lapse
    db.session.commit()
    heartbeat = _Heartbeat(token, ids)
    heartbeat.next = 0  # a third of a lease has passed since the claim
    runner.run_claimed(token, ids, heartbeat)
    db.session.rollback()  # the worker dies before the batch's writes commit: the renewal is already durable
    db.session.expire_all()
    leases = [(imp.status, imp.lease_until) for imp in db.session.scalars(sa.select(Import).order_by(Import.id))]
    soon = utcnow() + lease - timedelta(seconds=5)
    assert all(status is ImportStatus.RUNNING and until > soon for status, until in leases)
