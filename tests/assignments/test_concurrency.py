"""Many users (or tabs) assigning from one pool at the same moment: never more than available.

The SQLite version runs everywhere; the PostgreSQL one (where requests really run in parallel) needs
TEST_DATABASE_URL, which CI sets.
"""
import pytest
import sqlalchemy as sa

from models import Assignment, Customer, License, LicenseStatus, Order, OutboxEmail, User, db
from services.orders import assignments
from services.orders.assignments import AssignmentError
from tests.assignments.support import count, race, setup_pool

REFUSALS = ("No licenses of this product are available.", "Only 1 license is available.")


def assign_in_own_context(app, ids: tuple[int, int, int], quantity: int):
    """One request's worth of work: its own app context and session, commit or roll back."""
    user_id, order_id, customer_id = ids
    with app.app_context():
        try:
            assignment = assignments.assign_licenses(
                db.session.get(Order, order_id), db.session.get(Order, order_id).lines[0].id,
                db.session.get(Customer, customer_id), quantity, db.session.get(User, user_id))
            db.session.commit()
            return assignment.id
        except AssignmentError as exc:
            db.session.rollback()
            return str(exc)
        finally:
            db.session.remove()


def check_exactly(order, winners: list, refusals: list, assigned: int) -> None:
    db.session.expire_all()
    assert count(LicenseStatus.ASSIGNED, order) == assigned
    assert count(LicenseStatus.AVAILABLE, order) == 6 - assigned
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == len(winners)
    assert db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))) == len(winners)
    per_assignment = db.session.execute(sa.select(License.assignment_id, sa.func.count())
                                        .where(License.assignment_id.is_not(None))
                                        .group_by(License.assignment_id)).all()
    assert sorted(a for a, _ in per_assignment) == sorted(winners)  # each winner got its own licenses
    assert all(message in REFUSALS or message.startswith("Only") for message in refusals)


def run_race(app, threads: int, quantity: int):
    user, order, customer = setup_pool(6)
    ids = (user.id, order.id, customer.id)
    results = race(threads, lambda i: assign_in_own_context(app, ids, quantity))
    assert not [r for r in results if isinstance(r, Exception)], results
    winners = [r for r in results if isinstance(r, int)]
    refusals = [r for r in results if isinstance(r, str)]
    return order, winners, refusals


def test_threads_on_this_database_never_assign_more_than_available(app):
    order, winners, refusals = run_race(app, 50, 1)
    assert (len(winners), len(refusals)) == (6, 44)
    check_exactly(order, winners, refusals, 6)


@pytest.mark.postgres
@pytest.mark.parametrize("quantity, winners_wanted", [(1, 6), (2, 3)])
def test_fifty_parallel_assigns_on_postgresql_get_exactly_the_pool(app, quantity, winners_wanted):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a concurrency test for PostgreSQL: set TEST_DATABASE_URL to run it (CI does)")
    order, winners, refusals = run_race(app, 50, quantity)
    assert (len(winners), len(refusals)) == (winners_wanted, 50 - winners_wanted)
    check_exactly(order, winners, refusals, 6)
    assert set(refusals) <= {"No licenses of this product are available.",
                             "Only 1 license is available."}


@pytest.mark.postgres
def test_fifty_parallel_requests_through_the_page_on_postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a concurrency test for PostgreSQL: set TEST_DATABASE_URL to run it (CI does)")
    user, order, customer = setup_pool(6)
    clients = []
    for _ in range(50):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
        clients.append(client)
    form = {"line_id": order.lines[0].id, "quantity": 1, "customer_id": customer.id}
    responses = race(50, lambda i: clients[i].post(f"/licenses/orders/{order.id}/assign", data=form))
    codes = [r.status_code for r in responses]
    assert (codes.count(303), codes.count(422)) == (6, 44)
    refused = [r.get_data(as_text=True) for r in responses if r.status_code == 422]
    assert all("No licenses of this product are available." in html for html in refused)
    db.session.expire_all()
    assert count(LicenseStatus.ASSIGNED, order) == 6
