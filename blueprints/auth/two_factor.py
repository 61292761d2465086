"""A user's own two-factor page (linked from Preferences): set it up with a QR code, new recovery codes,
turn it off (when not required). The secret being set up waits in the session until a code proves it."""
from __future__ import annotations

from flask import flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints import render
from blueprints.auth import bp, throttle
from blueprints.auth.forms import CodeForm
from blueprints.auth.second_step import throttled_page
from models import User, db
from services.accounts import two_factor as factors

SECRET_KEY = "totp_enrolment"  # the session key of the secret being set up


@bp.get("/account/two-factor")
@login_required
def two_factor():
    return _page(CodeForm())


@bp.post("/account/two-factor/enable")
@login_required
def two_factor_enable():
    return _with_code(_enable)


@bp.post("/account/two-factor/recovery-codes")
@login_required
def two_factor_recovery_codes():
    return _with_code(lambda user, code: _show_codes(factors.regenerate_recovery_codes(user, code)))


@bp.post("/account/two-factor/disable")
@login_required
def two_factor_disable():
    def disable(user: User, code: str):
        factors.disable(user, code)
        db.session.commit()
        flash(_("Two-factor login is off."), "success")
        return redirect(url_for("auth.two_factor"), 303)
    return _with_code(disable)


def _with_code(action):
    """Check the form and the code throttle, run `action(user, code)`; its TwoFactorError goes next to the code."""
    form = CodeForm()
    user = _me()
    if session.get("impersonator"):
        flash(_("Only the user can change their own two-factor login, not staff logged in as them."), "error")
        return redirect(url_for("auth.two_factor"), 303)
    if form.validate_on_submit():
        attempts = throttle.code_attempts(user.id)
        if not attempts.attempt():
            return throttled_page("auth/two_factor.html", form, attempts.wait_seconds(), **_context(user))
        try:
            response = action(user, form.code.data)
        except factors.TwoFactorError as exc:
            db.session.rollback()
            form.code.errors.append(str(exc))
        else:
            attempts.clear()
            return response
    return _page(form, block="content"), 422


def _enable(user: User, code: str):
    secret = session.get(SECRET_KEY)
    if not secret:
        raise factors.TwoFactorError(_("The setup expired. Scan the new QR code and try again."))
    codes = factors.enable(user, secret, code)
    session.pop(SECRET_KEY, None)
    return _show_codes(codes)


def _show_codes(codes: list[str]):
    db.session.commit()
    return render("auth/recovery_codes.html", codes=codes)


def _page(form: CodeForm, block: str | None = None):
    return render("auth/two_factor.html", block=block, form=form, **_context(_me()))


def _context(user: User) -> dict:
    if factors.is_enabled(user):
        return {"enabled": True, "required": factors.is_required(user),
                "codes_left": factors.remaining_recovery_codes(user)}
    secret = session.setdefault(SECRET_KEY, factors.new_secret())
    return {"enabled": False, "required": factors.is_required(user), "secret": secret,
            "qr_code": factors.qr_code_data_uri(user, secret)}


def _me() -> User:
    return current_user._get_current_object()
