"""Staff keep a reseller's price list: discounts and per-product prices, each for a span of days
(services.catalog.price_lists). Bad input comes back 422 with the message next to the field, nothing saved."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import render
from blueprints.admin import bp
from blueprints.admin.price_list_forms import DiscountForm, OverrideForm
from blueprints.auth.forms import EmptyForm
from models import PriceOverride, Reseller, ResellerDiscount, db, utcnow
from services.catalog import price_lists, pricing


@bp.get("/resellers/<int:reseller_id>/prices")
def price_list_show(reseller_id: int):
    reseller = db.get_or_404(Reseller, reseller_id)
    return _page(reseller, DiscountForm(formdata=None), OverrideForm(formdata=None))


@bp.post("/resellers/<int:reseller_id>/prices/discounts")
def price_list_add_discount(reseller_id: int):
    reseller = db.get_or_404(Reseller, reseller_id)
    form = DiscountForm()
    if form.validate_on_submit() and _saved(form, lambda: price_lists.add_discount(
            reseller, by=_me(), percent=form.percent.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data)):
        flash(_("Discount added."), "success")
        return redirect(url_for("admin.price_list_show", reseller_id=reseller.id), 303)
    return _page(reseller, form, OverrideForm(formdata=None)), 422


@bp.post("/resellers/<int:reseller_id>/prices/overrides")
def price_list_add_override(reseller_id: int):
    reseller = db.get_or_404(Reseller, reseller_id)
    form = OverrideForm()
    if form.validate_on_submit() and _saved(form, lambda: price_lists.add_override(
            reseller, by=_me(), sku=form.sku.data, price=form.price.data, starts_on=form.starts_on.data,
            ends_on=form.ends_on.data)):
        flash(_("Price added."), "success")
        return redirect(url_for("admin.price_list_show", reseller_id=reseller.id), 303)
    return _page(reseller, DiscountForm(formdata=None), form), 422


@bp.post("/resellers/<int:reseller_id>/prices/discounts/<int:entry_id>/remove")
def price_list_remove_discount(reseller_id: int, entry_id: int):
    return _remove(reseller_id, ResellerDiscount, entry_id)


@bp.post("/resellers/<int:reseller_id>/prices/overrides/<int:entry_id>/remove")
def price_list_remove_override(reseller_id: int, entry_id: int):
    return _remove(reseller_id, PriceOverride, entry_id)


def _remove(reseller_id: int, model: type[ResellerDiscount] | type[PriceOverride], entry_id: int):
    """Remove one of the reseller's entries (the page asked first); another reseller's is 404."""
    reseller = db.get_or_404(Reseller, reseller_id)
    entry = price_lists.find_entry(reseller, model, entry_id) or abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    price_lists.remove_entry(reseller, entry, by=_me())
    db.session.commit()
    flash(_("Removed from the price list."), "success")
    return redirect(url_for("admin.price_list_show", reseller_id=reseller.id), 303)


def _saved(form, add) -> bool:
    """Run `add`; commit, or put its message next to its field (nothing is saved)."""
    try:
        add()
    except price_lists.PriceListError as exc:
        db.session.rollback()
        field = getattr(form, exc.field, None) if exc.field else None
        (field.errors if field is not None else form.form_errors).append(str(exc))
        return False
    db.session.commit()
    return True


def _page(reseller: Reseller, discount_form: DiscountForm, override_form: OverrideForm) -> str:
    today = utcnow().date()
    entries = price_lists.price_list(reseller)
    return render("admin/resellers/prices.html", block="content", reseller=reseller, entries=entries, today=today,
                  discount_today=pricing.discount_on(reseller.id, today), discount_form=discount_form,
                  override_form=override_form)


def _me():
    return current_user._get_current_object()
