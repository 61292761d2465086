"""services.orders.assignments: the pool moves atomically, refusals change nothing, activation is once."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import Assignment, AuditEvent, CustomerStatus, License, LicenseStatus, OutboxEmail, Role, db, utcnow
from services.mail.addresses import AddressError
from services.orders import assignments
from services.orders.assignments import ActivationError, AssignmentError
from tests.assignments.support import approved_order, assign, count, setup_pool
from tests.factories import make_customer, make_order, make_product, make_user

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


def outbox_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(OutboxEmail.id)))


def test_assign_moves_k_available_licenses_and_queues_one_email():
    user, order, customer = setup_pool(6)
    assignment = assign(order, customer, 2, user)

    licenses = db.session.scalars(sa.select(License).where(License.assignment_id == assignment.id)).all()
    assert len(licenses) == 2
    assert {(lic.status, lic.customer_id) for lic in licenses} == {(LicenseStatus.ASSIGNED, customer.id)}
    assert all(lic.assigned_at is not None for lic in licenses)
    assert count(LicenseStatus.AVAILABLE, order) == 4
    assert (assignment.quantity, assignment.created_by_id, assignment.activated_at) == (2, user.id, None)
    assert len(assignment.token) >= 43
    assert timedelta(days=29) < assignment.expires_at - utcnow() <= timedelta(days=30)
    [email] = db.session.scalars(sa.select(OutboxEmail)).all()
    assert (email.to_addr, email.related_type, email.related_id) == (customer.email, "Assignment", assignment.id)
    assert all(lic.key in email.body_text for lic in licenses)
    assert f"http://canal.test/activate/{assignment.token}" in email.body_text
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.object_id == str(assignment.id))) \
        == "licenses.assign"


def test_each_assignment_takes_other_licenses_and_tokens_differ():
    user, order, customer = setup_pool(6)
    first, second = assign(order, customer, 2, user), assign(order, customer, 3, user)
    keys = [{lic.key for lic in a.licenses} for a in (first, second)]
    assert not keys[0] & keys[1] and first.token != second.token
    assert count(LicenseStatus.AVAILABLE, order) == 1


@pytest.mark.parametrize("already, wanted, message", [
    (4, 3, "Only 2 licenses are available."),
    (5, 2, "Only 1 license is available."),
    (6, 1, "No licenses of this product are available."),
])
def test_more_than_available_is_refused_and_changes_nothing(already, wanted, message):
    user, order, customer = setup_pool(6)
    assign(order, customer, already, user)
    emails = outbox_count()
    with pytest.raises(AssignmentError, match=message) as refused:
        assignments.assign_licenses(order, order.lines[0].id, customer, wanted, user)
    db.session.rollback()
    assert refused.value.field == "quantity"
    assert count(LicenseStatus.AVAILABLE, order) == 6 - already
    assert db.session.scalar(sa.select(sa.func.count(Assignment.id))) == 1 and outbox_count() == emails


@pytest.mark.parametrize("quantity", [0, -1, None])
def test_quantity_below_one_is_refused(quantity):
    user, order, customer = setup_pool(6)
    with pytest.raises(AssignmentError, match="at least 1"):
        assignments.assign_licenses(order, order.lines[0].id, customer, quantity, user)
    db.session.rollback()
    assert count(LicenseStatus.AVAILABLE, order) == 6


def test_inactive_customer_other_resellers_customer_and_foreign_line_are_refused():
    user, order, customer = setup_pool(6)
    inactive = make_customer(user.reseller, name="Dormant S.A.", status=CustomerStatus.INACTIVE)
    foreign = make_customer(make_user(Role.RESELLER).reseller)
    other_order = approved_order(user, 2)
    db.session.commit()
    cases = [(order.lines[0].id, inactive, "Dormant S.A. is inactive", "customer_id"),
             (order.lines[0].id, foreign, "one of your customers", "customer_id"),
             (other_order.lines[0].id, customer, "Choose a product of this order", "line_id")]
    for line_id, who, message, field in cases:
        with pytest.raises(AssignmentError, match=message) as refused:
            assignments.assign_licenses(order, line_id, who, 1, user)
        db.session.rollback()
        assert refused.value.field == field
    assert count(LicenseStatus.AVAILABLE) == 8


def test_a_pending_order_cannot_be_assigned():
    user = make_user(Role.RESELLER)
    order = make_order(user, lines=[(make_product(), 3)])
    customer = make_customer(user.reseller)
    with pytest.raises(AssignmentError, match="once the order is approved"):
        assignments.assign_licenses(order, order.lines[0].id, customer, 1, user)


def test_activate_once_then_refused_with_the_date():
    user, order, customer = setup_pool(3)
    assignment = assign(order, customer, 2, user)
    assert assignments.activate(assignment) == 2
    db.session.commit()
    assert count(LicenseStatus.ACTIVATED, order) == 2 and count(LicenseStatus.AVAILABLE, order) == 1
    assert assignment.link_state == "activated"
    with pytest.raises(ActivationError, match="already activated on " + assignment.activated_at.strftime("%Y-%m-%d")):
        assignments.activate(assignment)


def test_an_expired_link_cannot_activate():
    user, order, customer = setup_pool(3)
    assignment = assign(order, customer, 2, user)
    assignment.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert assignment.link_state == "expired"
    with pytest.raises(ActivationError, match="expired on"):
        assignments.activate(assignment)
    db.session.rollback()
    assert count(LicenseStatus.ASSIGNED, order) == 2


def test_resend_queues_another_email_and_renews_an_unused_link():
    user, order, customer = setup_pool(3)
    assignment = assign(order, customer, 1, user)
    assignment.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    email = assignments.resend(assignment, user)
    other = assignments.resend(assignment, user, to="Boss@Example.com")
    db.session.commit()
    assert (email.to_addr, other.to_addr) == (customer.email, "Boss@example.com")
    assert assignment.link_state == "open"
    assert [e.id for e in assignments.emails_of(assignment)] == sorted([email.id, other.id, email.id - 1])


@pytest.mark.parametrize("address", ["x@example.com\r\nBcc: evil@example.com", "a@example.com, b@example.com",
                                     "not an address"])
def test_resend_to_a_bad_address_is_refused(address):
    user, order, customer = setup_pool(3)
    assignment = assign(order, customer, 1, user)
    with pytest.raises(AddressError):
        assignments.resend(assignment, user, to=address)
    db.session.rollback()
    assert outbox_count() == 1


def test_lookups_stay_inside_the_reseller():
    user, order, customer = setup_pool(3)
    assignment = assign(order, customer, 2, user)
    other = make_user(Role.RESELLER)
    [email] = assignments.emails_of(assignment)
    assert assignments.reseller_assignment(user.reseller_id, assignment.id) == assignment
    assert assignments.reseller_assignment(other.reseller_id, assignment.id) is None
    assert assignments.reseller_email(user.reseller_id, email.id) == email
    assert assignments.reseller_email(other.reseller_id, email.id) is None
    licenses, total = assignments.customer_licenses(customer)
    assert total == 2 and {lic.assignment_id for lic in licenses} == {assignment.id}
    newest, total = assignments.customer_licenses(customer, limit=1)  # more than shown: then they are counted
    assert total == 2 and len(newest) == 1 and newest[0].order_id == order.id
    assert [c.id for c in assignments.active_customers(other.reseller_id)] == []


def test_active_customers_search_skips_inactive_ones():
    user, order, customer = setup_pool(1, code="ACME", name="Acme Ltda.")
    make_customer(user.reseller, code="ACME-OLD", name="Acme Viejo", status=CustomerStatus.INACTIVE)
    make_customer(user.reseller, code="ZETA", name="Zeta 100% S.A.")
    assert [c.code for c in assignments.active_customers(user.reseller_id, "acme")] == ["ACME"]
    assert [c.code for c in assignments.active_customers(user.reseller_id, "100%")] == ["ZETA"]
    assert [c.code for c in assignments.active_customers(user.reseller_id, "_")] == []
