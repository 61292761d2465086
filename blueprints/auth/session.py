"""How a request finds its user: Flask-Login's loader, the login redirect and the locale."""
from __future__ import annotations

import time
from functools import cache
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app, flash, g, has_request_context, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, user_logged_in
from sqlalchemy.orm import joinedload, with_expression

from extensions import htmx, login_manager
from models import User, db
from services.numbers import parse_int
from services.orders import cart as carts

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"


@cache
def _user_with_reseller_and_cart() -> sa.Select:
    # The reseller and the cart badge's count come along: nearly every page shows the reseller's currency
    # and formats, and the badge (one query, not three). Built once: every request runs it, and building it
    # took longer than running it (measured on both databases).
    return (sa.select(User).where(User.id == sa.bindparam("user_id"))
            .options(joinedload(User.reseller), with_expression(User.cart_units, carts.units_expression())))


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The cookie holds "id:token"; a rotated token (password change, disable) ends the session."""
    id_part, _sep, token = user_id.partition(":")
    user_id_number = parse_int(id_part, 1)
    if user_id_number is None:
        return None
    user = db.session.execute(_user_with_reseller_and_cart(), {"user_id": user_id_number}).scalar_one_or_none()
    if user is None or not user.enabled or user.session_token != token:
        return None
    if session_expired():
        session.clear()
        flash(_("Your session has expired. Please log in again."), "info")
        return None
    g.cart_units = user.cart_units  # the header badge's number as loaded (a rollback would forget it)
    return user


def session_expired() -> bool:
    """Idle and absolute lifetimes, enforced here from timestamps in the (signed) session cookie."""
    now = int(time.time())
    # Only a cookie issued before these timestamps existed lacks them: its clock starts now.
    started = session.setdefault("_started", now)
    seen = session.get("_seen", now)
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    if now - seen > idle or now - started > current_app.config["SESSION_MAX_HOURS"] * 3600:
        return True
    if now - seen >= 10 or "_seen" not in session:
        session["_seen"] = now  # not on every request: fewer cookie rewrites under polling
    return False


@user_logged_in.connect
def _start_session_clock(app, user, **extra) -> None:
    # A login starts from a cleared session; switching user inside one (impersonation) keeps its clock.
    now = int(time.time())
    session.setdefault("_started", now)
    session["_seen"] = now


@login_manager.unauthorized_handler
def unauthorized():
    target = url_for("auth.login", next=safe_next(request.full_path.rstrip("?")))
    if htmx:
        # An htmx request cannot follow a redirect to a whole page: ask it to navigate instead.
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are allowed as a post-login destination (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return None
    return target


def select_locale() -> str:
    """The user's saved language, else the browser's best match among ours, else English."""
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        return default  # jobs render e-mails; they pick the recipient's language with force_locale
    user = current_user._get_current_object()
    if user.is_authenticated and user.locale:
        return user.locale
    if session.get("locale") in current_app.config["LANGUAGES"]:
        return session["locale"]
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or default


def select_timezone() -> str:
    user = current_user._get_current_object() if has_request_context() else None
    if user is not None and user.is_authenticated and user.timezone:
        return user.timezone
    return "UTC"
