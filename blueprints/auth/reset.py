"""The public set-password page behind the links in invitation and password-reset e-mails."""
from flask import flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from blueprints import render
from blueprints.auth import bp, second_step
from models import db
from services import audit
from services.accounts import accounts, two_factor


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(),
        Length(min=accounts.MIN_PASSWORD_LENGTH, max=1024, message=_l("Use between %(min)d and %(max)d characters.")),
    ])
    confirm = PasswordField(_l("New password, again"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords are not the same.")),
    ])
    submit = SubmitField(_l("Set password and log in"))


# A link that never was valid is "not found"; one that was (expired, used, disabled) is "gone".
LINK_PROBLEM_STATUS = {"invalid": 404, "expired": 410, "used": 410, "disabled": 410}


@bp.get("/set-password/<token>")
def set_password(token: str):
    try:
        user = accounts.user_for_password_link(token)
    except accounts.PasswordLinkError as exc:
        return _link_problem(exc)
    return _page(SetPasswordForm(), user, token)


@bp.post("/set-password/<token>")
def set_password_submit(token: str):
    try:
        user = accounts.user_for_password_link(token)
    except accounts.PasswordLinkError as exc:
        return _link_problem(exc)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.set_password(user, form.password.data)  # ends earlier sessions; voids this link
        except accounts.AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            audit.record(user, "password.set", user)
            if two_factor.is_enabled(user):  # a link in a mailbox is no second factor: ask for the code
                db.session.commit()
                response = second_step.after_password(user, None, timezone="", locale=session.get("locale"))
                flash(_("Your password is set. Enter a code from your authenticator app to log in."), "success")
                return response
            accounts.record_login(user)
            db.session.commit()
            session.clear()  # whoever was logged in in this browser before, it is this user now
            login_user(user)
            flash(_("Your password is set. Welcome to Canal!"), "success")
            return redirect(url_for("main.home"), 303)
    return _page(form, user, token, block="content"), 422


def _page(form: SetPasswordForm, user, token: str, block: str | None = None) -> str:
    return render("auth/set_password.html", block=block, form=form, user=user, token=token, problem=None,
                  min_length=accounts.MIN_PASSWORD_LENGTH)


def _link_problem(exc: accounts.PasswordLinkError):
    page = render("auth/set_password.html", form=None, user=None, token=None, problem=exc)
    return page, LINK_PROBLEM_STATUS.get(exc.reason, 400)
