from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from blueprints import render
from blueprints.auth.forms import EmptyForm
from blueprints.customers import bp
from blueprints.customers.forms import CustomerForm
from models import BILLING_TYPES, Customer, db, utcnow
from services import customers
from services.customers import CustomerError
from services.numbers import page_number
from services.orders import assignments
from services.paging import parse_sort
from services.provisioning import new_service


def customer_or_404(customer_id: int) -> Customer:
    customer = customers.get_customer(current_user.reseller_id, customer_id)
    if customer is None:
        abort(404)  # another reseller's customer does not exist, as far as this user can tell
    return customer


@bp.get("/")
def index():
    q = request.args.get("q", "").strip()[:100]
    sort = parse_sort(request.args.get("sort"), customers.SORTS, "code")
    page = customers.search_customers(current_user.reseller_id, q, request.args.get("page", 1, type=page_number),
                                      sort=sort)
    # From a cloud card of the catalog: the list is where the reseller picks whom to provision it for.
    service = new_service.get_service(request.args.get("provision", type=page_number))
    return render("customers/index.html", block="results", page=page, q=q, sort=sort, service=service)


@bp.get("/new")
def new():
    return render("customers/form.html", form=CustomerForm(language="es", currency=current_user.reseller.currency,
                                                           country=current_user.reseller.country), customer=None)


@bp.post("/")
@bp.post("/new")  # registered first: the form posts to its own URL, so a reload after an error shows the form
def create():
    form = CustomerForm()
    customer = _save(form, None) if form.validate_on_submit() else None
    if customer is not None:
        return redirect(url_for("customers.show", customer_id=customer.id), 303)
    return render("customers/form.html", form=form, customer=None), 422


@bp.get("/<int:customer_id>")
def show(customer_id: int):
    customer = customer_or_404(customer_id)
    return render("customers/show.html", customer=customer, subscriptions=customers.subscriptions_of(customer),
                  scheduled=customers.scheduled_imports(customer), billing_types=BILLING_TYPES,
                  assigned_licenses=assignments.customer_licenses(customer), now=utcnow())


@bp.get("/<int:customer_id>/edit")
def edit(customer_id: int):
    customer = customer_or_404(customer_id)
    return render("customers/form.html", form=CustomerForm(obj=customer), customer=customer)


@bp.post("/<int:customer_id>")
def update(customer_id: int):
    customer = customer_or_404(customer_id)
    form = CustomerForm()
    if form.validate_on_submit() and _save(form, customer) is not None:
        return redirect(url_for("customers.show", customer_id=customer.id), 303)
    return render("customers/form.html", form=form, customer=customer), 422


@bp.post("/<int:customer_id>/deactivate")
def deactivate(customer_id: int):
    return _set_active(customer_id, False, _("The customer was deactivated."))


@bp.post("/<int:customer_id>/activate")
def activate(customer_id: int):
    return _set_active(customer_id, True, _("The customer is active again."))


def _set_active(customer_id: int, active: bool, message: str):
    customer = customer_or_404(customer_id)
    if EmptyForm().validate_on_submit():
        customers.set_active(customer, current_user, active)
        db.session.commit()
        flash(message, "success")
    else:
        flash(_("The form expired; please try again."), "error")
    return redirect(url_for("customers.show", customer_id=customer.id), 303)


def _save(form: CustomerForm, customer: Customer | None) -> Customer | None:
    """Create or update from the form; a refused value goes back to its field (and None is returned)."""
    try:
        if customer is None:
            customer = customers.create_customer(current_user.reseller, current_user, **form.values())
        else:
            customers.update_customer(customer, current_user, **form.values())
        db.session.commit()
    except CustomerError as exc:
        db.session.rollback()
        getattr(form, exc.field or "code").errors.append(str(exc))
        return None
    except IntegrityError:  # the same code saved by someone else a moment ago
        db.session.rollback()
        form.code.errors.append(_("You already have a customer with the code %(code)s.", code=form.code.data))
        return None
    flash(_("Customer %(code)s saved.", code=customer.code), "success")
    return customer

