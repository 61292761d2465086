"""How a request finds its user: Flask-Login's loader, the login redirect and the locale."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from extensions import htmx, login_manager
from models import User, db

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The cookie holds "id:token"; a rotated token (password change, disable) ends the session."""
    id_part, _, token = user_id.partition(":")
    if not id_part.isdigit():
        return None
    user = db.session.get(User, int(id_part))
    if user is None or not user.enabled or user.session_token != token:
        return None
    return user


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
    if current_user.is_authenticated and current_user.locale:
        return current_user.locale
    if session.get("locale") in current_app.config["LANGUAGES"]:
        return session["locale"]
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or default


def select_timezone() -> str:
    if has_request_context() and current_user.is_authenticated and current_user.timezone:
        return current_user.timezone
    return "UTC"
