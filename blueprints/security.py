"""App-wide hardening: security headers, login throttling (flask-limiter on Redis), proxy trust."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, make_response, render_template, request
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from blueprints import access_log
from extensions import limiter
from services.numbers import parse_int

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}
# rq-dashboard (/ops/rq, ops role only) is a third-party page with an inline <script> block,
# style="" attributes and underscore templates compiled with new Function(): only its pages get
# 'unsafe-inline' and 'unsafe-eval'. Every page of Canal itself keeps the strict policy above.
RQ_DASHBOARD_CSP = {**CSP, "script-src": "'self' 'unsafe-inline' 'unsafe-eval'",
                    "style-src": "'self' 'unsafe-inline'"}

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    # Same-origin requests keep the full Referer, which Flask-WTF's CSRF check needs on HTTPS;
    # other sites get nothing (no ids or tokens in URLs leak out).
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    # Canal uses no device or sensor: no page (nor anything injected into one) may ask for them.
    "Permissions-Policy": "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
                          "microphone=(), payment=(), usb=()",
}
HSTS = "max-age=31536000; includeSubDomains"
MAX_ID = 2**31 - 1  # PostgreSQL integer
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# rq-dashboard's "requeue all" answers GET as well as POST (its own page uses POST): not safe.
UNSAFE_GETS = frozenset({"rq_dashboard.requeue_all"})


def init_app(app: Flask) -> None:
    if app.config["PROXY_COUNT"]:
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.config.setdefault("RATELIMIT_STORAGE_URI", limiter_storage_uri(app.config["REDIS_URL"]))
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, too_many_requests)
    app.register_error_handler(SecurityError, untrusted_host)
    access_log.init_app(app)  # the dev server's request lines without link tokens
    app.before_request(check_origin_of_csrf_exempt_posts)
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)


def untrusted_host(error: SecurityError):
    """A Host not in TRUSTED_HOSTS (production): a plain 400, as no URL can be built for that host."""
    return error


def limiter_storage_uri(redis_url: str) -> str:
    """The `limits` library spells a unix-socket Redis `redis+unix://`."""
    return "redis+" + redis_url if redis_url.startswith("unix://") else redis_url


def _policy_header(policy: dict[str, str]) -> str:
    return "; ".join(f"{k} {v}" for k, v in policy.items())


CSP_HEADER, RQ_DASHBOARD_CSP_HEADER = _policy_header(CSP), _policy_header(RQ_DASHBOARD_CSP)


def add_security_headers(response):
    headers = response.headers
    headers["Content-Security-Policy"] = RQ_DASHBOARD_CSP_HEADER if request.blueprint == "rq_dashboard" else CSP_HEADER
    # Each header unless the response has its own: the names present are read once (a missing name costs
    # Headers.setdefault an exception each time).
    present = {name.lower() for name in headers.keys()}
    for name, value in HEADERS.items():
        if name.lower() not in present:
            headers.add(name, value)
    if current_app.config["CANAL_ENV"] == "production":
        response.headers["Strict-Transport-Security"] = HSTS
    if not _is_static_file():
        # Pages carry a session's data or CSRF token: no browser or proxy may keep a copy.
        response.headers["Cache-Control"] = "no-store"
    return response


def _is_static_file() -> bool:
    return bool(request.endpoint) and request.endpoint.rpartition(".")[2] == "static"


def check_origin_of_csrf_exempt_posts():
    """rq-dashboard posts without our CSRF token, so its POSTs must come from our own origin."""
    if request.blueprint != "rq_dashboard":
        return
    if request.method in SAFE_METHODS and request.endpoint not in UNSAFE_GETS:
        return
    source = request.headers.get("Origin") or request.headers.get("Referer") or ""
    # The host only: behind a TLS proxy without PROXY_COUNT the scheme seen here is http.
    if urlsplit(source).netloc != request.host:
        abort(403)


def refuse_nul_characters():
    """No form, JSON or URL value has a use for NUL, and PostgreSQL refuses it in text (a 500): answer 400.

    Flask-WTF fills forms from JSON bodies too, and from multipart ones (uploads): all are checked.
    """
    values = [request.path, *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += request.form.values()
        values += (upload.filename or "" for upload in request.files.values())
    elif request.is_json:
        try:
            document = request.get_json(silent=True)
        except RecursionError:  # nested deeper than Python's json reads: no form's data either (was a 500)
            abort(400)
        values += _json_strings(document)
    if any("\x00" in value for value in values):
        abort(400)


def _json_strings(document) -> list[str]:
    """Every string in a parsed JSON document, keys included (a loop, not recursion: any depth is fine)."""
    strings, pending = [], [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            strings += value.keys()
            pending += value.values()
        elif isinstance(value, list):
            pending += value
    return strings


def as_id(text: str) -> int | None:
    """A posted id as an int, or None when it cannot be one of ours (not ASCII digits, or out of range)."""
    return parse_int(text, 1, MAX_ID)


class IdConverter(IntegerConverter):
    """`<int:...>` for ids: above PostgreSQL's integer range no row exists, so 404 (not a DataError 500)."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 (werkzeug's signature)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


# --- Login throttling: used as @limiter.limit(...) arguments on the login view ---------------------

def login_limit_per_ip() -> str:
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def login_limit_per_account() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


# Per account (and address) and per two-factor code: blueprints/auth/throttle.py, once the body is parsed.

def too_many_requests(error: RateLimitExceeded):
    limit = limiter.current_limit
    wait = max(int(limit.reset_at - time.time()) if limit is not None else 60, 1)
    page = render_template("errors/error.html", error=error, wait_minutes=max(1, -(-wait // 60)))
    response = make_response(page, 429)
    response.headers["Retry-After"] = str(wait)
    return response
