"""The approvals queue: staff approve (keys are issued) or reject (with a reason) pending orders."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from blueprints import render
from blueprints.admin import bp
from blueprints.formatting import N_
from models import Order, OrderStatus, db
from models.orders import REASON_MAX
from services import DomainError, staff_lists
from services.numbers import page_number
from services.orders import orders
from services.paging import parse_sort

# Staff read the decision itself (resellers see an approved order as "Done"). Msgids, shown with {{ _(label) }}.
STAFF_LABELS = {OrderStatus.PENDING: N_("Pending"), OrderStatus.APPROVED: N_("Approved"),
                OrderStatus.REJECTED: N_("Rejected"), OrderStatus.CANCELLED: N_("Cancelled")}
OLDEST_FIRST = "placed"  # the queue's order unless a column header asks for another


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the rejection"), validators=[  # DataRequired: only spaces is no reason
        DataRequired(message=_l("Give the reason for the rejection: the reseller will read it.")),
        Length(max=REASON_MAX, message=_l("At most %(max)d characters."))])


def order_or_404(order_id: int) -> Order:
    return db.session.get(Order, order_id) or abort(404)


@bp.get("/approvals")
def approvals():
    sort = parse_sort(request.args.get("sort"), staff_lists.APPROVAL_SORTS, OLDEST_FIRST)
    queue = staff_lists.approvals_page(sort, request.args.get("page", 1, type=page_number))
    lines = orders.lines_of([o.id for o in queue.items])
    return render("admin/approvals.html", block="queue", orders=queue, lines=lines, sort=sort,
                  oldest_first=sort.param == OLDEST_FIRST)


@bp.get("/approvals/<int:order_id>")
def approval(order_id: int, reject_form: RejectForm | None = None, status: int = 200):
    order = order_or_404(order_id)
    html = render("admin/approvals_show.html", block="decision" if reject_form else None, order=order,
                  reject_form=reject_form or RejectForm(formdata=None), label=STAFF_LABELS[order.status])
    return html, status


@bp.post("/approvals/<int:order_id>/approve")
def approve(order_id: int):
    order = order_or_404(order_id)
    try:
        orders.approve_order(order, current_user)
    except DomainError as exc:  # already decided, cancelled, or the vendor refused: nothing changes
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Order %(number)s approved: %(n)s license keys issued.", number=order.number,
                n=order.license_count), "success")
    return redirect(url_for("admin.approvals"), 303)


@bp.post("/approvals/<int:order_id>/reject")
def reject(order_id: int):
    order = order_or_404(order_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return approval(order_id, reject_form=form, status=422)
    try:
        orders.reject_order(order, current_user, form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Order %(number)s rejected. The reseller was told why.", number=order.number), "success")
    return redirect(url_for("admin.approvals"), 303)
