"""Every reseller's subscriptions for staff: the list with the reseller's filters (and by reseller), its CSV,
each subscription's page, and suspend / reactivate with a reason (the reseller is e-mailed)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from blueprints import reads_in_one_transaction, render
from blueprints.admin import bp
from blueprints.subscriptions.context import attachment, list_context, page_context
from models import Reseller, Subscription, db, utcnow
from services.subscriptions import listing, staff
from services.subscriptions.staff import SubscriptionError


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(message=_l("Give the reason: the reseller is told.")),
        Length(max=staff.MAX_REASON, message=_l("At most %(max)d characters."))])


def subscription_or_404(subscription_id: int) -> Subscription:
    return db.session.get(Subscription, subscription_id) or abort(404)


@bp.get("/subscriptions/")
def subscriptions_index():
    resellers = db.session.execute(sa.select(Reseller.id, Reseller.name).order_by(Reseller.name)).all()
    return render("admin/subscriptions.html", block="results", resellers=resellers,
                  **list_context(request.args, reseller_id=None))


@bp.get("/subscriptions/export.csv")
@reads_in_one_transaction
def subscriptions_export():
    filters = listing.parse_filters(request.args, staff=True)
    chunks = listing.csv_export(filters, utcnow(), reseller_id=None,
                                sort=listing.sort_of(request.args.get("sort"), filters))
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": attachment(f"subscriptions-all-{utcnow():%Y%m%d}.csv"),
                             "Cache-Control": "no-store"})


@bp.get("/subscriptions/<int:subscription_id>")
def subscriptions_show(subscription_id: int, form: ReasonForm | None = None, status: int = 200):
    subscription = subscription_or_404(subscription_id)
    return render("admin/subscription.html", form=form or ReasonForm(formdata=None), staff_view=True,
                  page_title=subscription.name, reseller=db.session.get(Reseller, subscription.reseller_id),
                  **page_context(subscription)), status


@bp.post("/subscriptions/<int:subscription_id>/suspend")
def subscriptions_suspend(subscription_id: int):
    return _change(subscription_id, staff.suspend, _("The subscription is suspended; the reseller was told why."))


@bp.post("/subscriptions/<int:subscription_id>/reactivate")
def subscriptions_reactivate(subscription_id: int):
    return _change(subscription_id, staff.reactivate, _("The subscription is active again; the reseller was told."))


def _change(subscription_id: int, operation, success: str):
    subscription = subscription_or_404(subscription_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return subscriptions_show(subscription_id, form=form, status=422)
    try:
        operation(subscription, current_user, form.reason.data)
    except SubscriptionError as exc:  # a lost race or a wrong state: nothing changed
        db.session.rollback()
        if exc.field == "reason":
            form.reason.errors.append(str(exc))
            return subscriptions_show(subscription_id, form=form, status=422)
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for("admin.subscriptions_show", subscription_id=subscription_id), 303)
