"""The monthly close: one statement per reseller and month, balanced, idempotent, late charges on the next one."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from jobs import billing as billing_jobs
from models import Charge, ChargeKind, OutboxEmail, Statement, TeamRole, db
from services.billing import ledger, statements
from tests.billing import at, make_subscription
from tests.factories import make_customer, make_user

pytestmark = pytest.mark.usefixtures("app")


def charge(reseller_id: int, amount: str, when: str, key: str, customer_id: int | None = None) -> None:
    kind = ChargeKind.ADJUSTMENT
    ledger.record_charge(reseller_id=reseller_id, customer_id=customer_id, kind=kind, description=f"charge {key}",
                         quantity=1, unit_price=Decimal(amount), amount=Decimal(amount), currency="USD",
                         occurred_at=at(when), idempotency_key=key)


def test_periods():
    assert statements.period_bounds("2026-12") == (at("2026-12-01 00:00"), at("2027-01-01 00:00"))
    assert statements.previous_period(at("2026-01-01 00:00")) == "2025-12"
    assert statements.previous_period(at("2026-03-31 23:59")) == "2026-02"
    for bad in ("2026-13", "2026-1", "x", "2026-00"):
        with pytest.raises(ValueError):
            statements.period_bounds(bad)
    assert not statements.is_closed("2026-11", now=at("2026-11-30 23:59"))
    assert statements.is_closed("2026-11", now=at("2026-12-01 00:00"))


def test_close_makes_one_balanced_statement_per_reseller_and_emails_its_admins(app):
    app.config["TAX_RATE"] = "0.22"
    a, b = make_user(), make_user()
    viewer_of_a = make_user(reseller=a.reseller, team_role=TeamRole.VIEWER)
    customer = make_customer(a.reseller, name="Zeta")
    sub = make_subscription(a.reseller, customer, start=at("2026-11-05 10:00"), quantity=3, unit_price="7.20")
    charge(a.reseller_id, "0.05", "2026-11-10 00:00", "a1")
    charge(a.reseller_id, "0.05", "2026-11-30 23:59", "a2")
    charge(a.reseller_id, "99.00", "2026-12-01 00:00", "a-december")
    charge(b.reseller_id, "10.01", "2026-11-01 00:00", "b1")
    db.session.commit()
    made = statements.close_month("2026-11")
    db.session.commit()
    mine = {s.reseller_id: s for s in db.session.scalars(sa.select(Statement).where(Statement.id.in_(made)))}
    assert set(mine) == {a.reseller_id, b.reseller_id}
    st = mine[a.reseller_id]
    lines = statements.statement_lines(st, page=None)
    assert [line.amount for line in lines] == [Decimal("21.60"), Decimal("0.05"), Decimal("0.05")]  # customers first
    assert lines[0].subscription_id == sub.id and lines[1].customer_id is None
    assert st.subtotal == sum(line.amount for line in lines) == Decimal("21.70")
    assert st.tax == Decimal("4.77") and st.total == Decimal("26.47")  # 21.70 x 0.22 = 4.774 -> 4.77
    assert st.line_count == 3 and st.cost == Decimal("18.00") and st.number == f"ST-2026-11-{st.id:06d}"
    assert mine[b.reseller_id].tax == Decimal("2.20")  # 10.01 x 0.22 = 2.2022
    emails = db.session.scalars(sa.select(OutboxEmail).where(OutboxEmail.template == "statement_ready")).all()
    assert sorted(e.to_addr for e in emails) == sorted([a.email, b.email])  # admins only, not the viewer
    assert viewer_of_a.email not in {e.to_addr for e in emails}
    assert "November 2026" in emails[0].subject and "/billing/statements/" in emails[0].body_text
    december = db.session.scalar(sa.select(Charge).where(Charge.idempotency_key == "a-december"))
    assert december.statement_id is None


def test_closing_twice_changes_nothing_and_a_late_charge_goes_on_the_next_statement():
    user = make_user()
    charge(user.reseller_id, "12.34", "2026-10-15 00:00", "first")
    db.session.commit()
    [first] = statements.close_month("2026-10")
    db.session.commit()
    assert billing_jobs.close_previous_month("2026-10") == {"period": "2026-10", "statements": 0}
    charge(user.reseller_id, "1.00", "2026-10-31 23:59", "late")  # committed after October was closed
    db.session.commit()
    assert statements.close_month("2026-10") == []
    closed = db.session.get(Statement, first)
    db.session.refresh(closed)
    assert closed.subtotal == Decimal("12.34") and closed.line_count == 1
    [november] = statements.close_month("2026-11")
    db.session.commit()
    assert db.session.get(Statement, november).subtotal == Decimal("1.00")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 2


def test_a_crash_before_commit_leaves_nothing_and_the_rerun_closes_the_month():
    user = make_user()
    charge(user.reseller_id, "5.00", "2026-10-15 00:00", "c1")
    db.session.commit()
    statements.close_month("2026-10")
    db.session.rollback()  # the job died before its commit
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 0
    assert db.session.scalar(sa.select(Charge.statement_id).where(Charge.idempotency_key == "c1")) is None
    assert len(statements.close_month("2026-10")) == 1


def test_the_close_writes_the_months_due_fees_first():
    user = make_user()
    sub = make_subscription(user.reseller, start=at("2026-11-30 22:00"), quantity=1, unit_price="10.00")
    db.session.commit()
    [made] = statements.close_month("2026-11")
    lines = statements.statement_lines(db.session.get(Statement, made), page=None)
    assert [(line.subscription_id, line.amount) for line in lines] == [(sub.id, Decimal("10.00"))]


def test_charges_of_a_subscription_show_their_statement_and_only_the_resellers():
    user, other = make_user(), make_user()
    sub = make_subscription(user.reseller, start=at("2026-10-03 09:00"))
    db.session.commit()
    [statement_id] = statements.close_month("2026-10")
    rows = statements.charges_of(user.reseller_id, subscription_id=sub.id)
    assert [(row.amount, row.statement_id, row.period) for row in rows] == [(Decimal("21.60"), statement_id, "2026-10")]
    assert statements.charges_of(other.reseller_id, subscription_id=sub.id) == []
