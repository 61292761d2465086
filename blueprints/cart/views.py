from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import render
from blueprints.cart import bp
from blueprints.cart.forms import QuantityForm
from blueprints.catalog.forms import AddToCartForm
from blueprints.catalog.views import buy_box
from blueprints.security import as_id
from extensions import htmx
from models import Product, db
from services.orders import cart as carts
from services.orders.checkout import line_problems


def cart_units() -> int:
    """The header badge's number after this request may have changed the cart: counted again. Other pages show
    the number loaded with the user (blueprints.auth.session, `g.cart_units`)."""
    return carts.item_count(current_user)


def targeted() -> bool:
    return bool(htmx) and not htmx.boosted


def with_badge(html: str, units: int | None = None) -> str:
    """A targeted response also refreshes the header badge, out of band (`units`: the cart's, when known)."""
    if not targeted():
        return html
    return html + render_template("_partials/cart_badge.html", oob=True,
                                  cart_units=cart_units() if units is None else units)


def show_cart(status: int = 200, errors: dict | None = None, typed: dict | None = None):
    cart = carts.get_cart(current_user)
    lines = list(cart.lines) if cart is not None else []
    units = sum(line.quantity for line in lines)
    html = render("cart/show.html", block="cart", lines=lines, totals=carts.cart_totals(cart),
                  problems=line_problems(lines), errors=errors or {}, typed=typed or {}, cart_units=units)
    return with_badge(html, units), status


@bp.get("/")
def show():
    return show_cart()


@bp.post("/lines")
def add():
    form = AddToCartForm()
    raw_id = (form.product_id.data or "").strip()
    product_id = as_id(raw_id)  # "²" is a digit to isdigit(); 2**31 is no id on PostgreSQL
    product = db.session.get(Product, product_id) if product_id else None
    if product is None:
        abort(404)
    if form.validate_on_submit():
        try:
            line = carts.add_to_cart(current_user, product.id, form.quantity.data)  # the price is ours, never posted
        except carts.CartError as exc:
            form.quantity.errors = [str(exc)]
        else:
            db.session.commit()
            return added(line, form.quantity.data)
    db.session.rollback()
    if targeted():
        return buy_box(product, form), 422
    flash(first_error(form), "error")
    return redirect(url_for("catalog.product", product_id=product.id), 303)


def first_error(form) -> str:
    return next(iter(form.quantity.errors), _("Enter a quantity of at least 1."))


def added(line, quantity: int):
    if targeted():
        form = AddToCartForm(formdata=None, product_id=line.product_id)
        return with_badge(buy_box(line.product, form, added=quantity, in_cart=line.quantity))
    flash(_("Added %(n)s × %(name)s to your cart.", n=quantity, name=line.product.name), "success")
    return redirect(url_for("cart.show"), 303)


@bp.post("/lines/<int:line_id>")
def update(line_id: int):
    line = carts.user_line(current_user, line_id)
    if line is None:
        abort(404)
    form = QuantityForm()
    if form.validate_on_submit():
        try:
            carts.set_quantity(line, form.quantity.data)
        except carts.CartError as exc:
            form.quantity.errors = [str(exc)]
        else:
            db.session.commit()
            return after_change()
    db.session.rollback()
    return show_cart(422, errors={line_id: first_error(form)},
                     typed={line_id: request.form.get("quantity", "")[:20]})


@bp.post("/lines/<int:line_id>/delete")
def delete(line_id: int):
    line = carts.user_line(current_user, line_id)
    if line is None:
        abort(404)
    name = line.product.name
    carts.remove_line(line)
    db.session.commit()
    if not targeted():
        flash(_("%(name)s was removed from your cart.", name=name), "success")
    return after_change()


def after_change():
    if targeted():
        return show_cart()
    return redirect(url_for("cart.show"), 303)
