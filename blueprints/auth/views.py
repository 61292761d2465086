from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from blueprints import render, security
from blueprints.auth import bp, second_step, throttle
from blueprints.auth.forms import EmptyForm, LoginForm
from blueprints.auth.session import safe_next
from blueprints.impersonating import acting_staff
from extensions import limiter
from models import db
from services.accounts import accounts, impersonation


@bp.get("/login")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return render("auth/login.html", form=LoginForm(), next=safe_next(request.args.get("next")))


@bp.post("/login")
@limiter.limit(security.login_limit_per_ip)
def login_submit():
    form = LoginForm()  # form fields or a JSON body alike: the e-mail counted is the one checked
    next_url = safe_next(request.form.get("next") or request.args.get("next"))
    if form.validate_on_submit():
        attempts = throttle.password_attempts(form.email.data)
        wait = attempts.wait_seconds()
        if wait:
            return second_step.throttled_page("auth/login.html", form, wait, next=next_url)
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            attempts.succeeded()
            return second_step.after_password(user, next_url, timezone=request.form.get("tz", ""),
                                              locale=session.get("locale"))
        attempts.failed()
        form.form_errors.append(_("Invalid e-mail or password."))
    return render("auth/login.html", block="content", form=form, next=next_url), 422


@bp.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        staff = acting_staff()  # logged in as this user (admin/impersonation.py): end both logins, not the user's
        if staff is not None:
            impersonation.log_out(staff, current_user._get_current_object())
        else:
            current_user.end_sessions()  # server-side too: a copy of this cookie stops working
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You have been logged out."), "info")
    return redirect(url_for("auth.login"), 303)
