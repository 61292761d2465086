from dataclasses import dataclass

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from blueprints import render
from blueprints.checkout import bp
from blueprints.checkout.forms import DELIVERY_LABELS, AmountForm, DeliveryForm, DetailsForm, ReviewForm
from extensions import htmx
from models import Cart, CartLine, Checkout, db
from services.orders import cart as carts
from services.orders import checkout as checkouts
from services.orders import orders
from services.orders.checkout import STEPS, CheckoutError

FORMS = {"details": DetailsForm, "delivery": DeliveryForm, "amount": AmountForm, "review": ReviewForm}


@dataclass
class State:
    checkout: Checkout
    cart: Cart
    lines: list[CartLine]


class Leave(Exception):
    """This step cannot be shown now; go to `url` instead."""

    def __init__(self, url: str):
        self.url = url


def open_step(step: str) -> State:
    """The checkout and cart if `step` may be shown, or Leave to where the user has to be."""
    cart = carts.get_cart(current_user)
    if cart is None or not cart.lines:
        flash(_("Your cart is empty."), "info")
        raise Leave(url_for("cart.show"))
    checkout = checkouts.checkout_for(current_user)
    if not checkouts.can_open(checkout, step):
        raise Leave(url_for("checkout.show", step=checkouts.first_incomplete_step(checkout)))
    return State(checkout, cart, list(cart.lines))


def leave(exc: Leave):
    if htmx and not htmx.boosted:
        return "", 200, {"HX-Redirect": exc.url}  # a whole new page, not a page inside the step
    return redirect(exc.url, 303)


def page(step: str, state: State, form, status: int = 200, error: str | None = None):
    html = render("checkout/step.html", block="step", step=step, steps=STEPS, checkout=state.checkout,
                  lines=state.lines, totals=carts.cart_totals(state.cart),
                  problems=checkouts.line_problems(state.lines), form=form, error=error,
                  delivery_labels=DELIVERY_LABELS)
    # A refused step stays at its URL: don't let htmx push it onto the history a second time.
    return html, status, ({"HX-Push-Url": "false"} if status == 422 else {})


def blank_form(step: str, state: State):
    if step == "review":
        return ReviewForm(formdata=None, token=state.checkout.token, quote=checkouts.quote(state.lines))
    return FORMS[step](formdata=None, obj=state.checkout)


@bp.get("/")
def start():
    try:
        state = open_step("details")
    except Leave as exc:
        return leave(exc)
    db.session.commit()
    return redirect(url_for("checkout.show", step=checkouts.first_incomplete_step(state.checkout)))


@bp.get("/<step>")
def show(step: str):
    if step not in STEPS:
        abort(404)
    try:
        state = open_step(step)
    except Leave as exc:
        return leave(exc)
    db.session.commit()  # the checkout row, when this is its first visit
    return page(step, state, blank_form(step, state))


@bp.post("/<step>")
def submit(step: str):
    if step not in STEPS:
        abort(404)
    if step == "review":
        return confirm()
    try:
        state = open_step(step)
    except Leave as exc:
        return leave(exc)
    form = FORMS[step]()
    if not form.validate_on_submit():
        return page(step, state, form, 422)
    try:
        save_step(step, state, form)
    except CheckoutError as exc:
        db.session.rollback()
        return page(step, state, form, 422, error=str(exc))
    db.session.commit()
    return redirect(url_for("checkout.show", step=STEPS[STEPS.index(step) + 1]), 303)


def save_step(step: str, state: State, form) -> None:
    if step == "details":
        checkouts.save_details(state.checkout, confirmation_email=form.confirmation_email.data,
                               description=form.description.data or "")
    elif step == "delivery":
        checkouts.save_delivery(state.checkout, method=form.delivery_method.data,
                                comments=form.delivery_comments.data or "")
    else:
        checkouts.accept_amount(state.checkout, state.lines)


def confirm():
    """Place the order. A double click or a resubmitted form lands on the same order."""
    form = ReviewForm()
    token = form.token.data or ""
    placed = checkouts.find_placed(current_user, token)
    if placed is not None:
        return redirect(url_for("checkout.done", order_id=placed.id), 303)
    try:
        state = open_step("review")
        order = checkouts.place_order(current_user, token=token, quote_seen=form.quote.data or "")
        db.session.commit()
    except Leave as exc:
        return leave(exc)
    except IntegrityError:  # the same checkout was placed by a concurrent request
        db.session.rollback()
        order = checkouts.find_placed(current_user, token)
        if order is None:
            raise
    except CheckoutError as exc:
        db.session.rollback()
        placed = checkouts.find_placed(current_user, token)  # a concurrent twin may have just placed it
        if placed is not None:
            return redirect(url_for("checkout.done", order_id=placed.id), 303)
        try:
            state = open_step("review")  # the cart as it is now (another tab may have added to it), quoted anew
        except Leave as gone:
            return leave(gone)
        return page("review", state, blank_form("review", state), 422, error=str(exc))
    return redirect(url_for("checkout.done", order_id=order.id), 303)


@bp.get("/done/<int:order_id>")
def done(order_id: int):
    order = orders.reseller_order(current_user.reseller_id, order_id) or abort(404)
    available, total = orders.availability([order.id]).get(order.id, (0, 0))
    return render("checkout/done.html", order=order, available=available, total=total,
                  status_label=orders.STATUS_LABELS[order.status])
