"""`flask demo seed` leaves billing to look at: past months closed into statements, this month's running charges."""
from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from models import Charge, ChargeKind, OutboxEmail, Role, Statement, db, utcnow
from services import demo
from services.accounts import accounts
from services.billing import statements
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("app")


def first_of_this_month() -> datetime:
    return utcnow().replace(day=1, hour=0, minute=30, second=0, microsecond=0)


@pytest.mark.parametrize("seeded_at", [utcnow, first_of_this_month], ids=["now", "on-the-1st"])
def test_the_demo_has_the_last_two_months_closed_and_this_months_charges_running(client, login, seeded_at):
    now = seeded_at()
    demo.seed(now)
    db.session.commit()
    counts = (db.session.scalar(sa.select(sa.func.count()).select_from(Statement)),
              db.session.scalar(sa.select(sa.func.count()).select_from(Charge)))
    demo.seed(now)  # again: nothing new
    db.session.commit()
    assert (db.session.scalar(sa.select(sa.func.count()).select_from(Statement)),
            db.session.scalar(sa.select(sa.func.count()).select_from(Charge))) == counts

    user = accounts.find_user("reseller@demo.test")
    last = statements.previous_period(now)
    before = statements.previous_period(statements.period_bounds(last)[0])
    for period in (last, before):
        statement = statements.statement_for(user.reseller_id, period)
        lines = statements.statement_lines(statement, page=None)
        assert statement.total > 0 and statement.subtotal == sum(line.amount for line in lines)
    running = statements.running_totals(user.reseller_id)
    assert running.count > 0 and running.total > 0
    credit = db.session.scalar(sa.select(Charge.amount).where(Charge.kind == ChargeKind.CREDIT_CANCELLATION))
    assert credit < 0  # the demo's cancellation within its window
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail).where(
        OutboxEmail.template == "statement_ready", OutboxEmail.attachment_kind == "statement_pdf")) > 0

    login(user)
    page = client.get("/billing/").get_data(as_text=True)
    assert statements.statement_for(user.reseller_id, last).number in page
    login(make_user(role=Role.STAFF))
    assert statements.statement_for(user.reseller_id, last).number in client.get(
        f"/admin/billing/?period={last}").get_data(as_text=True)
