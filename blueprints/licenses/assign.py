"""Assigning licenses to customers from the order page, their activation e-mails, and the CSV export."""
from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from blueprints import reads_in_one_transaction
from blueprints.auth.forms import EmptyForm
from blueprints.impersonating import impersonating
from blueprints.licenses import bp
from blueprints.licenses.forms import AssignForm, SendToForm
from blueprints.licenses.views import own_order, show_order
from extensions import htmx
from models import Assignment, Customer, db, utcnow
from services import customers
from services.mail.addresses import AddressError
from services.mail.outbox import OutboxError
from services.numbers import parse_int
from services.orders import assignments, license_export
from services.orders.assignments import AssignmentError

KEYS_ONLY_TO_THE_CUSTOMER = _l("While logged in as another user, license keys can be sent only to the "
                               "customer's own address.")


def own_assignment(assignment_id: int) -> Assignment:
    return assignments.reseller_assignment(current_user.reseller_id, assignment_id) or abort(404)


def back_to_order(order_id: int):
    return redirect(url_for("licenses.order", order_id=order_id, _anchor="assignments"), 303)


@bp.post("/orders/<int:order_id>/assign")
def assign(order_id: int):
    order = own_order(order_id)
    form = AssignForm()
    if form.validate_on_submit():
        customer = customers.get_customer(current_user.reseller_id, form.customer_id.data) or abort(404)
        try:
            assignment = _assign_once(order, form, customer)
        except AssignmentError as exc:
            db.session.rollback()  # the pool and the outbox stay as they were
            if exc.field is None:  # about the order itself (not approved): no form to show it in
                flash(str(exc), "error")
                return back_to_order(order.id)
            getattr(form, exc.field).errors.append(str(exc))
        else:
            db.session.commit()
            flash(ngettext("%(num)s license assigned to %(name)s; the activation e-mail is on its way.",
                           "%(num)s licenses assigned to %(name)s; the activation e-mail is on its way.",
                           assignment.quantity, name=assignment.customer.name), "success")
            return back_to_order(assignment.order_line.order_id)
    return show_order(order, block="assign", assign_form=form), 422


def _assign_once(order, form: AssignForm, customer: Customer) -> Assignment:
    """Assign, or find what this form already assigned: sent again after a dropped connection, or twice at once."""
    try:
        return assignments.assign_licenses(order, form.line_id.data, customer, form.quantity.data, current_user,
                                           request_token=form.token.data)
    except IntegrityError:  # its concurrent twin committed first
        db.session.rollback()
        twin = assignments.find_assigned(order, form.token.data)
        if twin is None:
            raise
        return twin


@bp.get("/orders/<int:order_id>/customer-options")
def customer_options(order_id: int):
    own_order(order_id)
    q = request.args.get("q", "").strip()[:100]
    return render_template("licenses/_assign_customer_options.html",
                           customers=assignments.active_customers(current_user.reseller_id, q))


@bp.get("/assignments/<int:assignment_id>/emails")
def assignment_emails(assignment_id: int):
    assignment = own_assignment(assignment_id)
    if not htmx:
        return back_to_order(assignment.order_line.order_id)
    emails = assignments.emails_of(assignment)
    html = render_template("licenses/_assignment_emails.html", assignment=assignment, emails=emails,
                           in_flight=assignments.in_flight)
    return html, 200 if assignments.in_flight(emails) else 286  # 286: settled, htmx stops polling


@bp.post("/assignments/<int:assignment_id>/resend")
def resend(assignment_id: int):
    assignment = own_assignment(assignment_id)
    if EmptyForm().validate_on_submit():
        recent = assignments.sent_just_now(assignments.emails_of(assignment))
        if recent is not None and request.form.get("again") != "1":  # a double click, or a colleague's resend
            flash(_("An activation e-mail went to %(email)s less than a minute ago. Resend again if another is "
                    "really needed.", email=recent.to_addr), "info")
            return back_to_order(assignment.order_line.order_id)
        email = assignments.resend(assignment, current_user)
        db.session.commit()
        flash(_("The activation e-mail was queued again for %(email)s.", email=email.to_addr), "success")
    return back_to_order(assignment.order_line.order_id)


@bp.post("/assignments/<int:assignment_id>/send")
def send_to(assignment_id: int):
    assignment = own_assignment(assignment_id)
    form = SendToForm()
    if form.validate_on_submit() and not _refused_while_impersonating(assignment, form):
        try:
            email = assignments.resend(assignment, current_user, to=form.email.data)
        except AddressError as exc:  # invalid, or a header injection attempt
            db.session.rollback()
            form.email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("The activation e-mail was queued for %(email)s.", email=email.to_addr), "success")
            return back_to_order(assignment.order_line.order_id)
    order = own_order(assignment.order_line.order_id)
    return show_order(order, block=None, send_form=form, send_for=assignment.id), 422


def _refused_while_impersonating(assignment: Assignment, form: SendToForm) -> bool:
    """Staff logged in as a reseller user send keys only to the customer's own address."""
    if impersonating() and form.email.data.strip().lower() != assignment.customer.email.strip().lower():
        form.email.errors.append(str(KEYS_ONLY_TO_THE_CUSTOMER))
        return True
    return False


@bp.post("/emails/<int:email_id>/retry")
def retry_email(email_id: int):
    email = assignments.reseller_email(current_user.reseller_id, email_id) or abort(404)
    assignment = db.session.get(Assignment, email.related_id)
    if EmptyForm().validate_on_submit():
        try:
            assignments.retry_email(email, current_user)
        except OutboxError:
            db.session.rollback()
            flash(_("This e-mail was already sent: use \"Resend to customer\" to send it again."), "error")
        else:
            db.session.commit()
            flash(_("Sending the e-mail to %(email)s again now.", email=email.to_addr), "success")
    return back_to_order(assignment.order_line.order_id)


@bp.get("/export.csv")
@reads_in_one_transaction
def export():
    customer: Customer | None = None
    if request.args.get("customer"):  # an id that cannot be one (², -1, beyond the range) is no customer either
        customer_id = parse_int(request.args["customer"], 1)
        found = customers.get_customer(current_user.reseller_id, customer_id) if customer_id else None
        customer = found or abort(404)
    rows = license_export.license_rows(current_user.reseller_id, customer.id if customer else None)
    header = [str(h) for h in license_export.HEADER]
    name = f"licenses-{customer.code if customer else 'all'}-{utcnow():%Y%m%d}.csv"
    return Response(stream_with_context(license_export.csv_chunks(rows, header)), mimetype="text/csv",
                    headers={"Content-Disposition": _attachment(name), "Cache-Control": "no-store"})


def _attachment(filename: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename)
    return f'attachment; filename="{safe}"'
