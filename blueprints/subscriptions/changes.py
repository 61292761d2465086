"""A subscription's actions: cancel within the window, change seats, auto-renew on/off, schedule a change.

Each action's page is its confirmation: the money it costs or credits, why it cannot be done (the pre-flight),
and the subscription's scheduled changes it may conflict with. The work is services.subscriptions.actions.
"""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import render
from blueprints.subscriptions import bp
from blueprints.subscriptions.context import page_context
from blueprints.subscriptions.forms import AutoRenewForm, ChangeForm, ScheduleChangeForm
from blueprints.subscriptions.views import own_subscription
from models import db, utcnow
from services.numbers import whole_number
from services.subscriptions import actions, kinds_change, kinds_renewal
from services.subscriptions.changes import ChangeRefused


def _back(subscription_id: int):
    return redirect(url_for("subscriptions.show", subscription_id=subscription_id), 303)


def _review(subscription, action: str, form: ChangeForm, status: int = 200, **extra):
    now = utcnow()
    context = {"action": action, "form": form, "conflicts": actions.scheduled_changes(subscription.id),
               "credit": kinds_change.cancellation_credit(subscription, now) if action == "cancel" else None, **extra}
    if action == "cancel" and "reasons" not in extra:
        context["reasons"] = actions.preflight(subscription, kinds_change.CANCEL)
    if action == "quantity" and "change" not in extra:  # no usable quantity: say so where the figures would be
        context["reasons"] = [str(e) for e in form.quantity.errors] or [_("Enter a quantity.")]
    return render("subscriptions/change.html", **page_context(subscription), **context), status


@bp.get("/<int:subscription_id>/cancel")
def cancel_review(subscription_id: int):
    subscription = own_subscription(subscription_id)
    return _review(subscription, "cancel", ChangeForm(version=subscription.version))


@bp.get("/<int:subscription_id>/quantity")
def quantity_review(subscription_id: int):
    subscription = own_subscription(subscription_id)
    if "quantity" not in request.args:  # the quantity is typed on the subscription's page
        return _back(subscription.id)
    quantity = whole_number(request.args["quantity"]) if request.args["quantity"].strip() else None
    form = ChangeForm(version=subscription.version, quantity=quantity)
    if quantity is None:
        form.quantity.errors = [_("Enter a whole number.")]
        return _review(subscription, "quantity", form, 422)
    return _quantity_page(subscription, form, quantity)


def _quantity_page(subscription, form: ChangeForm, quantity: int, status: int = 200):
    now = utcnow()
    reasons = kinds_change.quantity_reasons(subscription, quantity, now)
    change = quantity - subscription.quantity
    money = (kinds_change.addition_charge(subscription, change, now) if change > 0 else
             kinds_change.removal_credit(subscription, -change, now) if change < 0 and not reasons else None)
    return _review(subscription, "quantity", form, 422 if reasons else status, reasons=reasons, quantity=quantity,
                   change=change, money=money)


@bp.post("/<int:subscription_id>/cancel")
def cancel(subscription_id: int):
    return _confirm(own_subscription(subscription_id), kinds_change.CANCEL)


@bp.post("/<int:subscription_id>/quantity")
def change_quantity(subscription_id: int):
    return _confirm(own_subscription(subscription_id), kinds_change.QUANTITY)


def _confirm(subscription, kind: str):
    form = ChangeForm()
    action = "cancel" if kind == kinds_change.CANCEL else "quantity"
    conflicts = actions.scheduled_changes(subscription.id)
    valid = form.validate_on_submit()
    if valid and conflicts and form.scheduled.data not in ("keep", "cancel"):
        form.scheduled.errors = [_("This subscription has scheduled changes: say whether to keep or cancel them.")]
        valid = False
    if valid and kind == kinds_change.QUANTITY and form.quantity.data is None:
        form.quantity.errors = [_("Enter a quantity.")]
        valid = False
    if not valid:
        if kind == kinds_change.QUANTITY and form.quantity.data is not None:
            return _quantity_page(subscription, form, form.quantity.data, 422)
        return _review(subscription, action, form, 422)
    try:
        imp = actions.request_change(subscription, current_user, kind, token=form.token.data,
                                     shown_version=form.version.data, quantity=form.quantity.data,
                                     cancel_scheduled=form.scheduled.data == "cancel")
    except ChangeRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(subscription.id)
    db.session.commit()
    _tell(actions.run_now(imp.id))
    return _back(subscription.id)


def _tell(imp) -> None:
    done, reasons = actions.outcome(imp)
    if done:
        flash(_("Done: %(what)s.", what=imp.name), "success")
    elif done is None:
        flash(_("Your change is being processed; this page shows it once it is done."), "info")
    else:
        from services import locales

        flash(_("Nothing was changed: %(why)s", why=" ".join(map(locales.translate_stored, reasons))), "error")


@bp.post("/<int:subscription_id>/auto-renew")
def auto_renew(subscription_id: int):
    subscription = own_subscription(subscription_id)
    form = AutoRenewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        actions.set_auto_renew(subscription, current_user, form.on.data == "1", form.version.data)
    except ChangeRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _back(subscription.id)
    db.session.commit()
    flash(_("Auto-renew is on: the subscription renews at its term end.") if subscription.auto_renew else
          _("Auto-renew is off: the subscription ends at its term end."), "success")
    return _back(subscription.id)


@bp.route("/<int:subscription_id>/schedule", methods=["GET", "POST"])
def schedule(subscription_id: int):
    subscription = own_subscription(subscription_id)
    form = ScheduleChangeForm(billing_types=subscription.product.billing_types or [])
    if request.method == "GET" or not form.validate_on_submit():
        return _schedule_page(subscription, form, [], 200 if request.method == "GET" else 422)
    kind, values = _scheduled_kind(form)
    at_renewal = form.when.data == "renewal"
    if form.when.data == "at" and form.run_at.data is None:
        form.run_at.errors = [_("Choose a date and time.")]
        return _schedule_page(subscription, form, [], 422)
    if kind == kinds_change.QUANTITY and form.quantity.data is None:
        form.quantity.errors = [_("Enter a quantity.")]
        return _schedule_page(subscription, form, [], 422)
    reasons = actions.preflight(subscription, kind, at_renewal=at_renewal, **values)
    if form.confirm.data != "1" or (reasons and kind != kinds_change.QUANTITY):
        form.confirm.data = "1"
        return _schedule_page(subscription, form, reasons, 422 if reasons else 200, review=True)
    try:
        actions.request_change(subscription, current_user, kind, token=form.token.data, shown_version=None,
                               run_at=None if at_renewal else form.run_at.data, at_renewal=at_renewal, **values)
    except ChangeRefused as exc:
        db.session.rollback()
        (getattr(form, exc.field).errors.append(str(exc)) if exc.field else flash(str(exc), "error"))
        return _schedule_page(subscription, form, [], 422)
    db.session.commit()
    flash(_("The change is scheduled; it is listed in My imports, where it can be cancelled."), "success")
    return _back(subscription.id)


def _scheduled_kind(form: ScheduleChangeForm) -> tuple[str, dict]:
    if form.change.data == "billing_type":
        return kinds_renewal.BILLING_TYPE, {"billing_type": form.billing_type.data}
    if form.change.data == "cancel":
        return kinds_renewal.AUTO_RENEW, {"auto_renew": False}
    return kinds_change.QUANTITY, {"quantity": form.quantity.data}


def _schedule_page(subscription, form: ScheduleChangeForm, reasons: list[str], status: int, review: bool = False):
    return render("subscriptions/schedule.html", **page_context(subscription), form=form, reasons=reasons,
                  review=review, conflicts=actions.scheduled_changes(subscription.id)), status
