"""The e-mail outbox as staff see it: every message, its delivery state, and a retry for failures."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import render
from blueprints.admin import args_without, bp
from blueprints.admin.forms import OutboxFilterForm
from blueprints.auth.forms import EmptyForm
from models import EmailStatus, OutboxEmail, db
from services import audit, staff_lists
from services.mail import mail_secrets, outbox
from services.paging import parse_sort


@bp.get("/outbox/")
def outbox_index():
    form = OutboxFilterForm(formdata=request.args)
    if not form.validate():
        return render("admin/outbox/index.html", block="results", form=form, page=None, filters={}), 422
    sort = parse_sort(request.args.get("sort"), staff_lists.EMAIL_SORTS, "-created")
    page = staff_lists.emails_page(sort, EmailStatus(form.status.data) if form.status.data else None,
                                   request.args.get("before"))
    return render("admin/outbox/index.html", block="results", form=form, page=page, filters=args_without("before"),
                  sort=sort)


@bp.get("/outbox/<int:email_id>")
def outbox_show(email_id: int):
    email = db.get_or_404(OutboxEmail, email_id)
    viewer = current_user._get_current_object()
    masked = mail_secrets.mask(email.body_text)
    shown_in_full = mail_secrets.belongs_to(viewer, email.to_addr)
    if masked.held_secret:
        audit.record(viewer, "email.open", email, to=email.to_addr, template=email.template, masked=not shown_in_full)
        db.session.commit()
    return render("admin/outbox/show.html", email=email, text=email.body_text if shown_in_full else masked.text,
                  masked=masked.held_secret and not shown_in_full)


@bp.post("/outbox/<int:email_id>/retry")
def outbox_retry(email_id: int):
    email = db.get_or_404(OutboxEmail, email_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if email.status is not EmailStatus.FAILED:
        flash(_("Only a failed message can be retried; this one is %(status)s.", status=email.status.value), "error")
        return redirect(url_for("admin.outbox_show", email_id=email.id), 303)
    outbox.retry(email)
    audit.record(current_user._get_current_object(), "email.retry", email, to=email.to_addr)
    db.session.commit()
    flash(_("The message to %(to)s is queued again.", to=email.to_addr), "success")
    return redirect(url_for("admin.outbox_show", email_id=email.id), 303)

