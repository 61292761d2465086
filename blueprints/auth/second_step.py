"""After the password: the two-factor code step, and what every login does once the user is in.

A right password of a user with two-factor login on does not log in: the session only remembers who is
half-way (for PENDING_SECONDS) and the code page asks for a code. A user who must use two-factor login
and has not set it up is logged in and sent to set it up; `require_enrolment` keeps them there.
"""
from __future__ import annotations

import time

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user

from blueprints import render, security
from blueprints.auth import bp, throttle
from blueprints.auth.forms import CodeForm
from extensions import htmx, limiter
from models import User, db
from services import audit
from services.accounts import accounts, two_factor

PENDING_KEY = "login_pending"
PENDING_SECONDS = 10 * 60
# While a user must set up two-factor login, only these pages answer them (everything else sends them there).
ENROLMENT_ENDPOINTS = frozenset({"auth.two_factor", "auth.two_factor_enable", "auth.logout", "auth.login",
                                 "main.switch_language", "admin.stop_impersonation"})


def after_password(user: User, next_url: str | None, *, timezone: str, locale: str | None):
    """The password was right: ask for a code if the user has two-factor login, else log in."""
    if not two_factor.is_enabled(user):
        return complete_login(user, next_url, timezone=timezone, locale=locale)
    session.clear()  # nothing from before survives, and nobody is logged in until the code is right
    session[PENDING_KEY] = {"user": user.get_id(), "next": next_url, "tz": timezone, "locale": locale,
                            "at": int(time.time())}
    if locale:
        session["locale"] = locale  # the code page in the language picked before logging in
    return redirect(url_for("auth.login_code"), 303)


def complete_login(user: User, next_url: str | None, *, timezone: str, locale: str | None, method: str = ""):
    session.clear()  # a fresh session at login: nothing from before survives it
    login_user(user)
    accounts.adopt_browser_settings(user, timezone=timezone, locale=locale)
    accounts.record_login(user)  # also voids any set-password link still out there
    audit.record(user, "login", user, **({"second_factor": method} if method else {}))
    db.session.commit()
    if two_factor.must_enrol(user):
        flash(_("Your account needs two-factor login. Set it up to continue."), "info")
        return redirect(url_for("auth.two_factor"), 303)
    return redirect(next_url or url_for("main.home"), 303)


@bp.get("/login/code")
def login_code():
    if _pending_user() is None:
        return redirect(url_for("auth.login"), 303)
    return render("auth/login_code.html", form=CodeForm())


@bp.post("/login/code")
@limiter.limit(security.login_limit_per_ip)
def login_code_submit():
    user = _pending_user()
    if user is None:
        flash(_("Your login took too long. Please log in again."), "info")
        return redirect(url_for("auth.login"), 303)
    form = CodeForm()
    if form.validate_on_submit():
        attempts = throttle.code_attempts(user.id)
        if not attempts.attempt():
            return throttled_page("auth/login_code.html", form, attempts.wait_seconds())
        method = two_factor.verify(user, form.code.data)
        if method:
            attempts.clear()
            return _finish(user, method)
        db.session.rollback()
        form.code.errors.append(_("That code is not valid."))
    return render("auth/login_code.html", block="content", form=form), 422


def _finish(user: User, method: str):
    pending = session[PENDING_KEY]
    response = complete_login(user, pending["next"], timezone=pending["tz"], locale=pending["locale"],
                              method=method)
    if method == "recovery":
        left = two_factor.remaining_recovery_codes(user)
        flash(ngettext("You used a recovery code; %(num)d is left. Make new ones on your two-factor page.",
                       "You used a recovery code; %(num)d are left. Make new ones on your two-factor page.",
                       left), "warning")
    return response


def _pending_user() -> User | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or int(time.time()) - pending.get("at", 0) > PENDING_SECONDS:
        return None
    id_part, _sep, token = str(pending.get("user", "")).partition(":")
    user = db.session.get(User, int(id_part)) if id_part.isdigit() else None
    if user is None or not user.enabled or user.session_token != token or not two_factor.is_enabled(user):
        return None
    return user


def throttled_page(template: str, form, wait_seconds: int, **context):
    """The form again with how long to wait, in the viewer's language; 429 with Retry-After."""
    form.form_errors.append(ngettext("Too many attempts. Try again in %(num)d minute.",
                                     "Too many attempts. Try again in %(num)d minutes.",
                                     throttle.wait_minutes(wait_seconds)))
    page = render(template, block="content", form=form, **context)
    return page, 429, {"Retry-After": str(wait_seconds)}


@bp.before_app_request
def require_enrolment():
    """A logged-in user who must use two-factor login and has not set it up can only set it up."""
    endpoint = request.endpoint or ""
    if endpoint in ENROLMENT_ENDPOINTS or endpoint.rpartition(".")[2] == "static" or not endpoint:
        return None
    user = current_user._get_current_object()  # once: each read through the proxy finds the user again
    if not user.is_authenticated or session.get("impersonator"):
        return None  # staff logged in as a user are not asked to set up the user's phone
    if not two_factor.must_enrol(user):
        return None
    target = url_for("auth.two_factor")
    if htmx:
        return "", 403, {"HX-Redirect": target}
    return redirect(target)
