"""'Log in as' a reseller user for support, and back.

While impersonating, Flask-Login's user is the reseller user and session[IMPERSONATOR_KEY] holds the
staff member's login id ("id:session_token"). Every request checks that login id is still valid, so
the impersonation ends as soon as the staff member's own sessions end: logging out while impersonating ends
them (services.accounts.impersonation.log_out), which ends every copy of the cookie. Meanwhile the audit log records
what is done as the staff member's, on the user's behalf (services.audit.act_for), and blueprints/impersonating.py
refuses what only the reseller's own people may do.
"""
from __future__ import annotations

from flask import abort, flash, g, has_request_context, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from blueprints.admin import IMPERSONATOR_KEY, bp
from blueprints.admin.resellers import reseller_user_or_404
from blueprints.auth.forms import EmptyForm
from blueprints.auth.session import load_user
from models import User, db
from services import audit
from services.accounts import impersonation


@bp.post("/resellers/<int:reseller_id>/users/<int:user_id>/impersonate")
def impersonation_start(reseller_id: int, user_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    target = reseller_user_or_404(reseller_id, user_id)
    staff = current_user._get_current_object()
    try:
        impersonation.start(staff, target)
    except impersonation.ImpersonationError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.resellers_show", reseller_id=reseller_id), 303)
    db.session.commit()
    staff_login_id = staff.get_id()
    login_user(target)
    session[IMPERSONATOR_KEY] = staff_login_id
    return redirect(url_for("main.home"), 303)


@bp.post("/impersonation/stop")
def stop_impersonation():
    # The admin guard lets the impersonated (reseller) user reach this one endpoint.
    if not EmptyForm().validate_on_submit():
        abort(400)
    staff = impersonator()
    target = current_user._get_current_object()
    session.pop(IMPERSONATOR_KEY, None)
    if staff is None or not current_user.is_authenticated:
        _end_everything()
        return redirect(url_for("auth.login"), 303)
    impersonation.stop(staff, target)
    db.session.commit()
    login_user(staff)
    flash(_("You are back as %(email)s.", email=staff.email), "success")
    return redirect(url_for("admin.resellers_show", reseller_id=target.reseller_id), 303)


def impersonator() -> User | None:
    """The staff user acting as the current user, or None (also when their own session has ended)."""
    if "impersonator" not in g:
        login_id = session.get(IMPERSONATOR_KEY)
        staff = load_user(login_id) if login_id else None
        g.impersonator = staff if staff is not None and staff.is_staff else None
    return g.impersonator


@bp.before_app_request
def check_impersonation():
    """An impersonation whose staff session (or target user) is no longer valid ends the whole login; a valid
    one marks the request, so the audit log names the staff member (and blueprints/guards.py can refuse)."""
    if not session.get(IMPERSONATOR_KEY):
        return
    if impersonator() is None or not current_user.is_authenticated:
        _end_everything()
    else:
        audit.act_for(impersonator(), current_user._get_current_object())


@bp.app_context_processor
def impersonation_context() -> dict:
    active = has_request_context() and session.get(IMPERSONATOR_KEY)  # e-mails render outside requests
    return {"impersonator": impersonator() if active else None}


def _end_everything() -> None:
    logout_user()
    session.clear()
    g.pop("impersonator", None)
