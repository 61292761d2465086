from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import render
from blueprints.licenses import bp
from blueprints.licenses.forms import AssignForm, SendToForm
from models import Order, OrderLine, OrderStatus, db
from services.billing import ledger, statements
from services.numbers import page_number
from services.orders import assignments, orders
from services.orders.orders import LICENSE_LABELS, STATUS_FILTERS, STATUS_LABELS, OrderError
from services.paging import parse_sort


def own_order(order_id: int) -> Order:
    return orders.reseller_order(current_user.reseller_id, order_id) or abort(404)


@bp.get("/")
def index():
    status = request.args.get("status", "")
    sort = parse_sort(request.args.get("sort"), orders.SORTS, "-number")
    page = orders.reseller_orders(current_user.reseller_id, status=STATUS_FILTERS.get(status),
                                  page=request.args.get("page", 1, type=page_number), sort=sort)
    lines = orders.lines_of([o.id for o in page.items], counting_licenses=True)
    return render("licenses/index.html", block="orders", orders=page, status=status if status in STATUS_FILTERS else "",
                  lines=lines, availability=orders.availability_of(lines), labels=STATUS_LABELS,
                  filters=STATUS_FILTERS, sort=sort)


def show_order(order: Order, *, confirming: bool = False, block: str | None = "licenses", **forms):
    lines = orders.order_lines(order)
    available, total = sum(line[1] for line in lines), sum(line[2] for line in lines)
    licenses = orders.order_licenses(order, total=total, page=request.args.get("page", 1, type=page_number))
    approved = order.status is OrderStatus.APPROVED  # charged on approval (ledger.charge_order), shown only then
    charges = statements.charges_of(order.reseller_id, order_id=order.id) if approved else []
    return render("licenses/order.html", block=block, order=order, licenses=licenses, available=available,
                  total=total, label=STATUS_LABELS[order.status], license_labels=LICENSE_LABELS,
                  confirming=confirming, charges=charges, charge_kinds=ledger.KIND_LABELS,
                  **assignment_context(order, lines, current_user.reseller_id, **forms))


@bp.get("/orders/<int:order_id>")
def order(order_id: int):
    return show_order(own_order(order_id))


@bp.get("/orders/<int:order_id>/cancel")
def cancel_confirm(order_id: int):
    return show_order(own_order(order_id), confirming=True, block="order_actions")


@bp.post("/orders/<int:order_id>/cancel")
def cancel(order_id: int):
    order = own_order(order_id)
    try:
        orders.cancel_order(order, current_user)
    except OrderError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Order %(number)s was cancelled.", number=order.number), "success")
    return redirect(url_for("licenses.order", order_id=order_id), 303)


def assignment_context(order: Order, lines: list[tuple[OrderLine, int, int]], reseller_id: int,
                       assign_form: AssignForm | None = None, send_form: SendToForm | None = None,
                       send_for: int | None = None) -> dict:
    """What the order page needs for "Assign" and the assignments table (forms kept on a 422); `lines`: each
    line with its available and total licenses (services.orders.orders.order_lines)."""
    approved = order.status is OrderStatus.APPROVED  # only then the page shows assignments and the form
    lines = [(line, available) for line, available, _total in lines] if approved else []
    # A blank form is only shown (its token input is csrf_field()'s): no CSRF field of its own to make
    return {"assign_form": assign_form or AssignForm(formdata=None, meta={"csrf": False}),
            "rows": assignments.order_assignments(order) if approved else [], "lines": lines,
            "customers": assignments.active_customers(reseller_id) if any(n for _, n in lines) else [],
            "in_flight": assignments.in_flight,
            "send_form": send_form, "send_for": send_for}  # a send form only to show its errors again
