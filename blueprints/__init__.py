"""Blueprint registration, the htmx-aware render() helper and app-wide page hooks."""
from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from jinja2_fragments.flask import render_block
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RoutingException

from blueprints import formatting, guards, template_helpers
from blueprints.formatting import N_
from blueprints.security import SAFE_METHODS
from extensions import htmx
from models import db


def render(template: str, block: str | None = None, **context) -> str:
    """Render a whole page, or only `block` when a targeted htmx request asked for a fragment.

    Boosted navigation and history restores need the full page, so they get it.
    """
    if block and htmx and not htmx.boosted and not htmx.history_restore_request:
        return render_block(template, block, **context)  # jinja2-fragments
    return render_template(template, **context)


# (label, endpoint, who sees it). Items whose endpoint is not registered yet are left out. The labels are
# msgids: templates show them with _(label).
NAVIGATION = [
    (N_("Catalog"), "catalog.index", "reseller"),
    (N_("Cart"), "cart.show", "reseller"),
    (N_("Licenses"), "licenses.index", "reseller"),
    (N_("Customers"), "customers.index", "reseller"),
    (N_("Subscriptions"), "subscriptions.index", "reseller"),
    (N_("My imports"), "imports.index", "reseller"),
    (N_("Billing"), "billing.index", "reseller"),
    (N_("Team"), "team.index", "reseller:admin"),  # "role:team role": only a reseller's admins
    (N_("Admin"), "admin.index", "staff"),
    (N_("Ops"), "ops.index", "ops"),
]


def navigation() -> list[tuple[str, str, str]]:
    """(label, endpoint, its blueprint) of the current user's areas: the same list on every page, made once."""
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return []
    menus = current_app.extensions.setdefault("canal_navigation", {})
    role = user.role.value
    key = f"{role}:{user.team_role.value}" if user.is_reseller else role
    if key not in menus:
        menus[key] = [(label, endpoint, endpoint.partition(".")[0]) for label, endpoint, who in NAVIGATION
                      if who in (role, key) and endpoint in current_app.view_functions]
    return menus[key]


def init_app(app: Flask) -> None:
    app.before_request(_reads_without_transaction)  # first: before anything loads the user
    app.before_request(guards.refuse_viewer_writes)  # one check for every route: viewers read only
    from blueprints.activation import bp as activation_bp
    from blueprints.admin import bp as admin_bp
    from blueprints.auth import bp as auth_bp
    from blueprints.billing import bp as billing_bp
    from blueprints.cart import bp as cart_bp
    from blueprints.catalog import bp as catalog_bp
    from blueprints.checkout import bp as checkout_bp
    from blueprints.customers import bp as customers_bp
    from blueprints.imports import bp as imports_bp
    from blueprints.licenses import bp as licenses_bp
    from blueprints.main import bp as main_bp
    from blueprints.ops import init_app as init_ops
    from blueprints.provisioning import bp as provisioning_bp
    from blueprints.subscriptions import bp as subscriptions_bp
    from blueprints.team import bp as team_bp

    for bp in (auth_bp, main_bp, admin_bp, catalog_bp, cart_bp, checkout_bp, licenses_bp,
               customers_bp, provisioning_bp, imports_bp, activation_bp, team_bp, billing_bp,
               subscriptions_bp):
        app.register_blueprint(bp)
    init_ops(app)
    formatting.init_app(app)
    template_helpers.init_app(app)

    app.jinja_env.globals.update(navigation=navigation, get_locale=get_locale)
    app.after_request(_vary_on_htmx)
    app.after_request(_keep_a_reloadable_url)
    app.register_error_handler(HTTPException, _http_error)


def reads_in_one_transaction(view):
    """Marks a GET view whose reads must share one transaction: on PostgreSQL a server-side cursor (yield_per,
    streaming an export) needs one, and the whole file then comes from one snapshot."""
    view.reads_in_one_transaction = True
    return view


def _reads_without_transaction() -> None:
    # A GET only reads (tests/security/test_safe_methods.py proves it for every route).
    view = current_app.view_functions.get(request.endpoint)
    if request.method in SAFE_METHODS and not getattr(view, "reads_in_one_transaction", False):
        db.session().run_without_transaction()


def _vary_on_htmx(response):
    # The same URL answers a page or a fragment depending on HX-Request, so caches must key on it. Most responses
    # have no Vary yet: the header is added as it is, without parsing a set of values to add one.
    if response.headers.getlist("Vary"):
        response.vary.add("HX-Request")
    else:
        response.headers.add("Vary", "HX-Request")
    return response


def _keep_a_reloadable_url(response):
    """The address bar always holds a URL a GET can show. htmx (hx-boost) would put a form's action there, and a
    reload of a POST-only URL answers 405: so a refused form (a 4xx re-shows the page it was sent from) and any
    page answered from a POST-only URL leave the address bar on the page the form was on. What was typed
    survives the reload in the browser (static/canal.js, form drafts)."""
    if (request.method in SAFE_METHODS or not htmx or 300 <= response.status_code < 400
            or any(h in response.headers for h in ("HX-Push-Url", "HX-Replace-Url", "HX-Location", "HX-Redirect"))):
        return response
    if response.status_code >= 400 or not _answers_get(request.path):
        response.headers["HX-Push-Url"] = "false"
    return response


def _answers_get(path: str) -> bool:
    try:
        current_app.create_url_adapter(request).match(path, method="GET")
    except (HTTPException, RoutingException):
        return False
    return True


def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    if request.blueprint == "rq_dashboard" or request.accept_mimetypes.best == "application/json":
        return error
    # Unhandled exceptions arrive here as InternalServerError (Flask logs the traceback).
    return render_template("errors/error.html", error=error), error.code
