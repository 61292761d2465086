"""Change password: every logged-in user, for their own account."""
from flask import flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user

from blueprints import render, security
from blueprints.auth import bp
from blueprints.auth.forms import ChangePasswordForm
from blueprints.impersonating import own_people_only
from extensions import limiter
from models import db
from services import audit
from services.accounts import accounts

OWN_PASSWORD = _l("Only the user can change their own password, not staff logged in as them.")


def _current_account() -> str:
    # Guessing the current password from a stolen session is throttled like guessing it at login.
    return f"password-change:{current_user.id if current_user.is_authenticated else '-'}"


@bp.get("/password")
@login_required
@own_people_only(OWN_PASSWORD)
def edit_password():
    return render("auth/password.html", form=ChangePasswordForm(), min_length=accounts.MIN_PASSWORD_LENGTH)


@bp.post("/password")
@login_required
@own_people_only(OWN_PASSWORD)
@limiter.limit(security.login_limit_per_account, key_func=_current_account)
def update_password():
    form = ChangePasswordForm()
    valid = form.validate_on_submit()
    user = current_user._get_current_object()
    if form.current_password.data and not form.current_password.errors and not form.errors.get("csrf_token"):
        # Checked even when another field is wrong, so every error shows at once (not one per submit).
        if not accounts.password_is_correct(user, form.current_password.data):
            form.current_password.errors.append(_("The current password is not correct."))
            valid = False
    if valid:
        try:
            accounts.change_password(user, form.current_password.data, form.new_password.data)
        except accounts.WrongPasswordError as exc:
            form.current_password.errors.append(str(exc))
        except accounts.AccountError as exc:
            form.new_password.errors.append(str(exc))
        else:
            audit.record(user, "password.change", user)
            db.session.commit()
            # The token rotated, so every other session has ended; this one starts afresh, logged in.
            session.clear()
            login_user(user)
            flash(_("Your password has been changed. Your other sessions have been logged out."), "success")
            return redirect(url_for("main.home"), 303)
    return render("auth/password.html", block="content", form=form, min_length=accounts.MIN_PASSWORD_LENGTH), 422
