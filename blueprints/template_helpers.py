"""What every template render gets: the `viewer` (language with the reseller's country, currency, time zone)
that the formatting filters read, `_`, `gettext` and `ngettext` bound to the viewer's catalog, and
`csrf_field()`, the token input of every POST form, and `url_for` memoized (below).

The bound `_` follows Jinja's newstyle gettext (Flask-Babel's, which macros imported without context use):
autoescaped, and always a format string ("%%" is "%"). It looks the catalog up once per render instead of
on every call, which `make bench` showed to matter (see docs/CONVENTIONS.md, Speed).
force_locale() around a render still works: the context processor runs inside it.
"""
from __future__ import annotations

from functools import lru_cache

from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_eval_context
from markupsafe import Markup

from blueprints.formatting import current_viewer


@lru_cache(maxsize=8192)
def _translated(translations: NullTranslations, message: str, autoescape: bool) -> str:
    """A template message in one catalog, kept: pages show the same few hundred messages on every render, and
    `make bench` put the lookup and the Markup wrapping at about a twentieth of a list page's CPU."""
    text = translations.ugettext(message)
    return Markup(text) if autoescape else text


def _bound_gettext(translations: NullTranslations):
    # They need only the evaluation context (autoescape or not), not the template's context: Jinja derives a new
    # context for each call that is given one inside a loop or block that has set a variable.
    @pass_eval_context
    def gettext(eval_ctx, message: str, /, **variables) -> str:
        text = _translated(translations, message, eval_ctx.autoescape)
        return text % variables if variables or "%" in text else text

    @pass_eval_context
    def ngettext(eval_ctx, singular: str, plural: str, num: int, /, **variables) -> str:
        variables.setdefault("num", num)
        text = translations.ungettext(singular, plural, num)
        return (Markup(text) if eval_ctx.autoescape else text) % variables

    return gettext, ngettext


def render_helpers() -> dict:
    viewer = g.canal_viewer = current_viewer()  # also for macros imported without context (formatting._viewer)
    gettext, ngettext = _bound_gettext(viewer.translations)
    helpers = {"viewer": viewer, "_": gettext, "gettext": gettext, "ngettext": ngettext}
    if has_request_context() and not current_app.url_default_functions:
        helpers["url_for"] = _memoized_url_for(current_app._get_current_object(), request.script_root, request.host)
    return helpers


def _memoized_url_for(app: Flask, script_root: str, host: str):
    """Flask's url_for for one render, memoized: a page builds the same links many times over (static files, the
    navigation, a row's actions) and a werkzeug build is a few µs; `make bench` put it at about a fifth of the
    CPU of a list page. Only a relative URL from int and str values is kept, keyed by what it depends on
    besides them (the app's mount point and the request's host); `_external`, `_anchor`, a blueprint-relative
    endpoint and the like, or an app with url_defaults, go to url_for every time."""
    relative_url = app.extensions.get("canal_relative_url")
    if relative_url is None:
        @lru_cache(maxsize=8192)
        def relative_url(script_root: str, host: str, endpoint: str, values: tuple) -> str:
            return app.url_for(endpoint, **dict(values))

        app.extensions["canal_relative_url"] = relative_url

    def url_for(endpoint: str, /, **values) -> str:
        if endpoint[:1] == ".":
            return app.url_for(endpoint, **values)
        for key, value in values.items():
            if key[:1] == "_" or (type(value) is not int and type(value) is not str):
                return app.url_for(endpoint, **values)
        return relative_url(script_root, host, endpoint, tuple(values.items()))

    return url_for


def csrf_field() -> Markup:
    """{{ csrf_field() }} in a POST form: Flask-WTF's token as a hidden input. A global, so a macro imported
    without context and a block rendered alone (blueprints.render) have it too; no id, so a table may have
    one form per row. Made once per request (measured with `make bench` on the pages with a form per row:
    the cart, admin approvals)."""
    field = g.get("canal_csrf_field")
    if field is None:
        field = g.canal_csrf_field = Markup('<input name="csrf_token" type="hidden" value="%s">') % generate_csrf()
    return field


def query_args(**changes) -> dict:
    """The current page's URL values, its view arguments and then its query string, with `changes` (None removes a
    value): a link to the same list sorted or paged otherwise, {{ url_for(request.endpoint, **query_args(page=2)) }}
    (_partials/sort.html, _partials/pager.html)."""
    args = {**(request.view_args or {}), **request.args.to_dict()}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return args


def init_app(app: Flask) -> None:
    app.context_processor(render_helpers)
    app.jinja_env.globals["query_args"] = query_args
    app.jinja_env.globals["csrf_field"] = csrf_field
    from services.imports.completion import shown_status  # an import's status as reseller and staff both see it

    app.jinja_env.globals["import_status"] = shown_status
