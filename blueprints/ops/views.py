from flask import Response, abort, current_app, flash, jsonify, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import render
from blueprints.auth.forms import EmptyForm
from blueprints.ops import bp
from blueprints.subscriptions.context import attachment
from devstack import mailbox
from models import db, utcnow
from services import audit, health
from services.mail import mail_secrets, outbox


@bp.get("/")
def index():
    return render("ops/index.html", mail_catcher=_mail_dir() is not None)


@bp.get("/health", endpoint="health")
def health_check():
    healthy, report = health.check()
    return jsonify(report), 200 if healthy else 503


@bp.get("/mail")
def mail():
    return render("ops/mail.html", messages=mailbox.list_messages(_mail_dir_or_404()))


@bp.get("/mail/<name>")
def mail_message(name: str):
    message = mailbox.read_message(_mail_dir_or_404(), name)
    if message is None:
        abort(404)
    viewer = current_user._get_current_object()
    masked = mail_secrets.mask(message.text)
    shown_in_full = mail_secrets.belongs_to(viewer, message.to)
    if masked.held_secret:
        audit.record(viewer, "mail.open", None, message=name, to=message.to, masked=not shown_in_full)
        db.session.commit()
    return render("ops/mail_message.html", message=message, text=message.text if shown_in_full else masked.text,
                  masked=masked.held_secret and not shown_in_full)


@bp.get("/mail/<name>/attachments/<int:number>")
def mail_attachment(name: str, number: int):
    """The message's attachment `number` (1 = its first), downloaded as it was sent."""
    message = mailbox.read_message(_mail_dir_or_404(), name)
    if message is None or not 1 <= number <= len(message.attachments):
        abort(404)
    attached = message.attachments[number - 1]
    return Response(attached.content, mimetype=attached.content_type,
                    headers={"Content-Disposition": attachment(attached.filename)})


def _mail_dir() -> str | None:
    return current_app.config.get("MAIL_CATCHER_DIR")


def _mail_dir_or_404() -> str:
    directory = _mail_dir()
    if directory is None:
        abort(404)  # a real MAIL_SERVER is configured: there is no catcher to read
    return directory


@bp.post("/mail/test")
def send_test_email():
    form = EmptyForm()
    if form.validate_on_submit():
        outbox.queue_email(current_user.email, "ops_test", sent_at=utcnow().strftime("%Y-%m-%d %H:%M:%S"))
        db.session.commit()
        flash(_("A test e-mail to %(email)s is on its way.", email=current_user.email), "success")
    return redirect(url_for("ops.index"), 303)
