"""The unchanged poll of My imports, answered 304 before the app's other request hooks.

My imports polls every 2 s while an import is active; most polls find nothing changed. Through the whole request
a 304 cost a logged-in page's floor (the ORM user with its reseller and cart badge, the rate limiter's lookup,
every guard) and the version check (callgrind, in-process: 5.7 M instructions a poll, 3.9 M with this hook, of
which 2.0 M are the request around it). This hook runs first and answers a poll whose version is unchanged, after
the same checks the guards would make, on two small statements (the session's user as columns, the version);
anything else (another request, a changed version, a session that is not a plain reseller user's, one expired or
needing two-factor set-up) goes on through the hooks and the view as before. The response still goes through the
after-request hooks (security headers, Vary, the session cookie when its idle clock moves).
"""
from __future__ import annotations

from functools import cache

import sqlalchemy as sa
from flask import Flask, current_app, g, request, session
from werkzeug.datastructures import MultiDict

from blueprints.admin import IMPERSONATOR_KEY
from extensions import htmx, login_manager
from models import Reseller, Role, User, db
from services.imports import listing
from services.numbers import parse_int, query_id


def install(app: Flask) -> None:
    """Run `answer_unchanged_poll` before every other before_request hook (the rate limiter's among them)."""
    app.before_request_funcs.setdefault(None, []).insert(0, answer_unchanged_poll)


def list_args(query: MultiDict) -> dict:
    """My imports' listing state from its query string (sort, direction, rows per page, keyset cursors)."""
    args = {"sort": query.get("sort", "created"), "dir": query.get("dir", "desc"),
            "per_page": parse_int(query.get("per_page")) or listing.PER_PAGE_CHOICES[0]}
    for key in ("after", "before"):
        if query.get(key):
            args[key] = query[key][:60]
    return args


def open_ids(query: MultiDict) -> list[int]:
    return sorted(set(query.getlist("open", type=query_id)))


def active_ids(query: MultiDict) -> list[int]:
    """The imports the polling tab shows as pending or running (?active=1,2: its page's, as it was rendered)."""
    ids = (parse_int(part, 1) for part in query.get("active", "")[:2000].split(","))
    return sorted({id_ for id_ in ids if id_ is not None})


def version(reseller_id: int, query: MultiDict, locale: str | None, timezone: str | None,
            active: list[sa.Row] | None = None) -> listing.PollVersion:
    """What the poll compares: the reseller's active imports (`active`, else read), with what the page shows them by
    (the listing's arguments, the open rows, and the viewer's language and time zone as chosen: the user's own, else
    the session's or the browser's)."""
    return listing.poll_version(listing.active_imports(reseller_id) if active is None else active,
                                sorted(list_args(query).items()), open_ids(query), locale, timezone,
                                session.get("locale"), request.headers.get("Accept-Language", ""))


def shown_version(current: listing.PollVersion) -> str | None:
    """The version the polling tab shows (its If-None-Match), if it lists the same rows as `current`."""
    for tag in request.if_none_match.as_set():
        if current.same_rows(tag):
            return tag
    return None


def is_poll() -> bool:
    """An htmx request for the imports table that names the version it shows."""
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request and bool(request.if_none_match)


def answer_unchanged_poll():
    if request.endpoint != "imports.index" or not is_poll() or session.get(IMPERSONATOR_KEY):
        return None
    user = _session_user()
    if user is None:
        return None  # anonymous, gone, disabled, another kind of user, or needs two-factor set-up: the hooks say
    from blueprints.auth.session import session_expired

    if session_expired():
        return None
    active = listing.active_imports(user.reseller_id)
    current = version(user.reseller_id, request.args, user.locale, user.timezone, active).tag
    if not request.if_none_match.contains(current):
        g.imports_active = (user.reseller_id, active)  # the view reads them from here (active_imports)
        return None
    return "", 304, {"ETag": f'"{current}"'}


def active_imports(reseller_id: int) -> list[sa.Row]:
    """The reseller's active imports (listing.active_imports), as answer_unchanged_poll read them in this request if
    it did (a poll it leaves to the view reads them once)."""
    known = g.pop("imports_active", None)
    if known is not None and known[0] == reseller_id:
        return known[1]
    return listing.active_imports(reseller_id)


def _session_user() -> sa.Row | None:
    """The session's user as the loader would accept it (blueprints.auth.session.load_user), if a reseller user who
    need not set up two-factor login first; as a row of a few columns."""
    if login_manager._session_protection_failed():  # Flask-Login's own check, as its loader makes it first
        return None
    id_part, _sep, token = str(session.get("_user_id", "")).partition(":")
    user_id = parse_int(id_part, 1)
    if user_id is None:
        return None
    db.session().run_without_transaction()  # a GET only reads (blueprints._reads_without_transaction runs later)
    user = db.session.connection().execute(_user_statement(), {"user_id": user_id}).one_or_none()
    if user is None or not user.enabled or user.session_token != token or user.role is not Role.RESELLER:
        return None
    if user.reseller_id is None or _must_enrol(user):
        return None
    return user


def _must_enrol(user: sa.Row) -> bool:
    """services.accounts.two_factor.must_enrol, on the row."""
    required = user.role.value in current_app.config.get("TWO_FACTOR_REQUIRED_ROLES", ()) or user.two_factor_required
    return bool(required) and not user.has_totp


@cache
def _user_statement() -> sa.Select:
    users, resellers = User.__table__, Reseller.__table__
    return (sa.select(users.c.enabled, users.c.session_token, users.c.role, users.c.reseller_id, users.c.locale,
                      users.c.timezone, users.c.totp_secret.is_not(None).label("has_totp"),
                      resellers.c.two_factor_required)
            .select_from(users.outerjoin(resellers, resellers.c.id == users.c.reseller_id))
            .where(users.c.id == sa.bindparam("user_id")))
