"""License assignment: K AVAILABLE licenses of an order line go to one customer, with an e-mail
carrying the keys and a public activation link; the end customer confirms on that page.

Taking licenses from the pool is one conditional UPDATE, so two users (or two tabs) racing for the
last licenses can never get more than there are: the loser sees how many are left.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import aliased

from models import (
    Assignment,
    Customer,
    CustomerStatus,
    EmailStatus,
    License,
    LicenseStatus,
    Order,
    OrderLine,
    OrderStatus,
    OutboxEmail,
    User,
    db,
    utcnow,
)
from services import DomainError, audit, search
from services.mail import outbox
from services.mail.outbox import public_url

LINK_DAYS = 30  # default validity of an activation link; config ACTIVATION_LINK_DAYS overrides
SEARCH_LIMIT = 50
EMAIL_TEMPLATE = "license_activation"


class AssignmentError(DomainError):
    """Refused; nothing may be kept: the caller rolls back. `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class ActivationError(DomainError):
    pass


@dataclass
class AssignmentRow:
    """An assignment as the order page shows it, with its customer's code and name, its product's name and every
    e-mail sent for it (oldest first)."""

    assignment: Assignment
    customer_code: str
    customer_name: str
    product_name: str
    emails: list[OutboxEmail] = field(default_factory=list)

    @property
    def sent_just_now(self) -> OutboxEmail | None:
        return sent_just_now(self.emails)


def active_customers(reseller_id: int, q: str = "", limit: int = SEARCH_LIMIT) -> list[sa.Row]:
    """The reseller's ACTIVE customers by code, matching `q` on code, name or e-mail: rows of (id, code, name),
    all the customer picker shows."""
    customer = Customer.__table__.c  # the table's columns: a select of columns needs none of the ORM's work
    stmt = (sa.select(customer.id, customer.code, customer.name)
            .where(customer.reseller_id == reseller_id, customer.status == CustomerStatus.ACTIVE)
            .order_by(customer.code).limit(limit))
    if q:
        stmt = stmt.where(search.contains(q, customer.code, customer.name, customer.email))
    return list(db.session.execute(stmt))


REQUEST_TOKEN_MAX = 43


def usable_request_token(request_token: str | None) -> str | None:
    """The form's token as stored, or None: none was sent, or not one of ours (too long), so no replay check."""
    return request_token if request_token and len(request_token) <= REQUEST_TOKEN_MAX else None


def find_assigned(order: Order, request_token: str | None) -> Assignment | None:
    """The assignment the assign form carrying `request_token` already made, if any (of the same reseller)."""
    request_token = usable_request_token(request_token)
    if request_token is None:
        return None
    found = db.session.scalar(sa.select(Assignment).where(Assignment.request_token == request_token))
    if found is not None and found.order_line.order.reseller_id != order.reseller_id:  # a copied form
        raise AssignmentError(_("This form was already used. Reload the page and assign again."))
    return found


def assign_licenses(order: Order, line_id: int | None, customer: Customer, quantity: int | None,
                    actor: User, *, request_token: str | None = None) -> Assignment:
    """Give `quantity` AVAILABLE licenses of one order line to `customer` and queue its e-mail.

    Idempotent on the form's `request_token` (as placing an order is on the checkout's): a form sent again
    gets the assignment it already made, with no second e-mail; the unique token stops two racing submits
    at the database (IntegrityError at the flush: the caller rolls back and calls find_assigned).
    """
    done = find_assigned(order, request_token)
    if done is not None:
        return done
    line = _check_request(order, line_id, customer, quantity)
    now = utcnow()
    assignment = Assignment(order_line_id=line.id, customer_id=customer.id, quantity=quantity,
                            created_by_id=actor.id, expires_at=now + link_validity(), created_at=now,
                            request_token=usable_request_token(request_token))
    db.session.add(assignment)
    db.session.flush()  # the unique request token is checked here
    taken = _take_available(line.id, quantity, customer.id, assignment.id, now)
    if taken < quantity:
        raise AssignmentError(_only_available(taken + available_count(line.id)), "quantity")
    queue_activation_email(assignment)
    audit.record(actor, "licenses.assign", assignment, order=order.number, sku=line.sku, quantity=quantity,
                 customer=customer.code)
    return assignment


def _check_request(order: Order, line_id: int | None, customer: Customer, quantity: int | None) -> OrderLine:
    if order.status is not OrderStatus.APPROVED:
        raise AssignmentError(_("Licenses can be assigned once the order is approved."))
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise AssignmentError(_("Choose a product of this order."), "line_id")
    if customer.reseller_id != order.reseller_id:
        raise AssignmentError(_("Choose one of your customers."), "customer_id")
    if not customer.is_active:
        raise AssignmentError(_("%(name)s is inactive: activate the customer before assigning licenses.",
                                name=customer.name), "customer_id")
    if quantity is None or quantity < 1:
        raise AssignmentError(_("Enter a quantity of at least 1."), "quantity")
    if quantity > line.quantity:  # can never fit (and is refused before anything is written)
        raise AssignmentError(_only_available(available_count(line.id)), "quantity")
    return line


def _take_available(line_id: int, quantity: int, customer_id: int, assignment_id: int, now) -> int:
    """The single conditional UPDATE that moves up to `quantity` licenses; returns how many moved.

    `status = AVAILABLE` is checked again on each row being updated, so a row another transaction
    took in the meantime is left alone and not counted. On PostgreSQL the pick locks its rows in id
    order (no deadlocks): a racer waits for the holder, re-checks the row once it commits and moves
    on to the next AVAILABLE one, so the racers get exactly the pool between them. (SKIP LOCKED
    would not wait, but two racers that each lock part of what they need would both give up and
    leave licenses unassigned.) The pick is a CTE so it runs once: as an IN-subquery with FOR UPDATE
    PostgreSQL may re-run it for every row and take them all. SQLite runs writers one at a time and
    computes the IN-subquery once (its driver reports no rowcount for a statement starting WITH).
    """
    pool = aliased(License)
    pick = (sa.select(pool.id)
            .where(pool.order_line_id == line_id, pool.status == LicenseStatus.AVAILABLE)
            .order_by(pool.id).limit(quantity))
    if db.session.get_bind().dialect.name == "postgresql":
        pick = sa.select(pick.with_for_update().cte("picked").c.id)
    stmt = (sa.update(License)
            .where(License.id.in_(pick), License.status == LicenseStatus.AVAILABLE)
            .values(status=LicenseStatus.ASSIGNED, customer_id=customer_id, assignment_id=assignment_id,
                    assigned_at=now)
            .execution_options(synchronize_session=False))
    return db.session.execute(stmt).rowcount


def available_count(line_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count(License.id)).where(
        License.order_line_id == line_id, License.status == LicenseStatus.AVAILABLE)) or 0


def _only_available(available: int) -> str:
    if available == 0:
        return _("No licenses of this product are available.")
    return ngettext("Only %(num)s license is available.", "Only %(num)s licenses are available.", available)


def link_validity() -> timedelta:
    return timedelta(days=current_app.config.get("ACTIVATION_LINK_DAYS", LINK_DAYS))


def queue_activation_email(assignment: Assignment, to: str | None = None) -> OutboxEmail:
    """One outbox message with the keys, the instructions and the activation link (same transaction)."""
    line = assignment.order_line
    keys = list(db.session.scalars(sa.select(License.key).where(License.assignment_id == assignment.id)
                                   .order_by(License.id)))
    with outbox.in_language_of(assignment.customer):  # the end customer's language, not the reseller's
        # The reseller's message to its customer: its name, and replies go to its contact address (else to whoever
        # at the reseller sent it).
        reseller = line.order.reseller
        reply_to = reseller.contact_email or assignment.created_by.email
        return outbox.queue_email(to or assignment.customer.email, EMAIL_TEMPLATE, related=assignment,
                                  from_name=reseller.name, reply_to=reply_to,
                                  assignment=assignment, customer=assignment.customer, line=line, keys=keys,
                                  reseller=reseller, activation_url=activation_url(assignment))


def activation_url(assignment: Assignment) -> str:
    return public_url("activation.show", token=assignment.token)


def resend(assignment: Assignment, actor: User, to: str | None = None) -> OutboxEmail:
    """Queue the activation e-mail again (to the customer, or to `to`); an unused link gets a new term."""
    if assignment.activated_at is None:
        assignment.expires_at = utcnow() + link_validity()
    email = queue_activation_email(assignment, to)
    audit.record(actor, "licenses.resend", assignment, to=email.to_addr)
    return email


def retry_email(email: OutboxEmail, actor: User) -> None:
    """Send a failed (or waiting) activation e-mail now."""
    outbox.retry(email)
    audit.record(actor, "outbox.retry", email)


def reseller_assignment(reseller_id: int | None, assignment_id: int) -> Assignment | None:
    """The assignment if it belongs to this reseller; None otherwise (the view answers 404)."""
    return db.session.scalar(sa.select(Assignment).join(Assignment.order_line).join(OrderLine.order)
                             .where(Assignment.id == assignment_id, Order.reseller_id == reseller_id))


def reseller_email(reseller_id: int | None, email_id: int) -> OutboxEmail | None:
    """An activation e-mail of one of this reseller's assignments; None for anything else."""
    return db.session.scalar(
        sa.select(OutboxEmail).join(Assignment, sa.and_(OutboxEmail.related_type == "Assignment",
                                                        OutboxEmail.related_id == Assignment.id))
        .join(Assignment.order_line).join(OrderLine.order)
        .where(OutboxEmail.id == email_id, Order.reseller_id == reseller_id))


def order_assignments(order: Order) -> list[AssignmentRow]:
    """The order's assignments, newest first, each with its e-mails, in one query (the customer's code and name and
    the product's name as columns of the joins it makes anyway, not as more objects loaded)."""
    rows: dict[int, AssignmentRow] = {}
    emails = sa.and_(OutboxEmail.related_type == "Assignment", OutboxEmail.related_id == Assignment.id)
    stmt = (sa.select(Assignment, Customer.code, Customer.name, OrderLine.product_name, OutboxEmail)
            .join(Assignment.order_line).join(Assignment.customer).outerjoin(OutboxEmail, emails)
            .where(OrderLine.order_id == order.id).order_by(Assignment.id.desc(), OutboxEmail.id))
    for assignment, customer_code, customer_name, product_name, email in db.session.execute(stmt):
        row = rows.get(assignment.id)
        if row is None:
            row = rows[assignment.id] = AssignmentRow(assignment, customer_code, customer_name, product_name)
        if email is not None:
            row.emails.append(email)
    return list(rows.values())


def emails_of(assignment: Assignment) -> list[OutboxEmail]:
    return list(db.session.scalars(sa.select(OutboxEmail).where(
        OutboxEmail.related_type == "Assignment", OutboxEmail.related_id == assignment.id).order_by(OutboxEmail.id)))


RESEND_PAUSE = timedelta(minutes=1)  # another activation e-mail sooner than this asks first


def sent_just_now(emails: list[OutboxEmail]) -> OutboxEmail | None:
    """The latest of these e-mails if it was written less than RESEND_PAUSE ago (a resend then asks first)."""
    latest = max(emails, key=lambda e: e.created_at, default=None)
    return latest if latest is not None and latest.created_at > utcnow() - RESEND_PAUSE else None


def in_flight(emails: list[OutboxEmail]) -> bool:
    """True while a message waits or is being sent: the order page keeps polling its state until then."""
    return any(e.status in (EmailStatus.QUEUED, EmailStatus.SENDING) for e in emails)


def customer_licenses(customer: Customer, limit: int = 100) -> tuple[list[sa.Row], int]:
    """The licenses given to this customer (newest first, at most `limit`) and how many there are, as rows of
    what the customer page shows: order_id, product_name, sku, key, status, assigned_at, activated_at,
    assignment_id. They are counted only when there are more than `limit`."""
    def joined(select: sa.Select) -> sa.Select:
        return (select.select_from(License).join(License.order_line).join(OrderLine.order)
                .where(License.customer_id == customer.id, Order.reseller_id == customer.reseller_id))

    rows = list(db.session.execute(
        joined(sa.select(Order.id.label("order_id"), OrderLine.product_name, OrderLine.sku, License.key,
                         License.status, License.assigned_at, License.activated_at, License.assignment_id))
        .order_by(License.assigned_at.desc(), License.id).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, len(rows)
    count = joined(sa.select(sa.func.count(License.id)))
    return rows[:limit], db.session.scalar(count) or 0


# --- The public activation page ------------------------------------------------------------------

def by_token(token: str) -> Assignment | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(Assignment).where(Assignment.token == token))


def activate(assignment: Assignment) -> int:
    """The end customer confirms: the assignment's licenses become ACTIVATED. Only once, only in time."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.activated_at.is_(None), Assignment.expires_at > now)
        .values(activated_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(assignment)
    if claimed != 1:
        raise ActivationError(_refusal(assignment))
    activated = db.session.execute(
        sa.update(License).where(License.assignment_id == assignment.id, License.status == LicenseStatus.ASSIGNED)
        .values(status=LicenseStatus.ACTIVATED, activated_at=now).execution_options(synchronize_session=False)
    ).rowcount
    audit.record(None, "licenses.activate", assignment, licenses=activated)
    return activated


def _refusal(assignment: Assignment) -> str:
    if assignment.activated_at is not None:
        return _("These licenses were already activated on %(date)s.",
                 date=assignment.activated_at.strftime("%Y-%m-%d %H:%M UTC"))
    return _("This activation link expired on %(date)s. Ask your reseller to send it again.",
             date=assignment.expires_at.strftime("%Y-%m-%d %H:%M UTC"))
