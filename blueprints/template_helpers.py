"""What every template render gets, bound once per render instead of looked up on every call.

Flask-Babel's `_()` finds the translations through several context-local proxies on each call, and
Flask-WTF's `csrf_token()` through the request's `g`; a page calls them a hundred times. Here they are
bound to the current locale and request once, when the render starts (a context processor), which
made the cart page about 25 % cheaper (bench/, issue 9). force_locale() around a render still
works: the processor runs inside it.
"""
from __future__ import annotations

from functools import lru_cache

from flask import Flask, current_app, g, has_request_context, request
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from markupsafe import Markup

from blueprints.formatting import current_viewer


def _bound_gettext(translations):
    # Jinja's newstyle gettext (install_gettext_callables(newstyle=True)) without its lookups:
    # autoescaped, and always a format string (so "%%" means "%" everywhere).
    @pass_context
    def gettext(context, message: str, /, **variables) -> str:
        text = translations.ugettext(message)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables if variables or "%" in text else text

    @pass_context
    def ngettext(context, singular: str, plural: str, num: int, /, **variables) -> str:
        variables.setdefault("num", num)
        text = translations.ungettext(singular, plural, num)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables

    return gettext, ngettext


def _once_per_render_csrf_token():
    token = None

    def csrf_token() -> str:
        nonlocal token
        if token is None:
            token = generate_csrf()
        return token

    return csrf_token


def render_helpers() -> dict:
    viewer = g.canal_viewer = current_viewer()  # also for macros imported without context (formatting._viewer)
    gettext, ngettext = _bound_gettext(viewer.translations)
    helpers = {"_": gettext, "gettext": gettext, "ngettext": ngettext, "viewer": viewer}
    if has_request_context():
        helpers["csrf_token"] = _once_per_render_csrf_token()
        url_for_root = current_app.extensions.get("canal_url_for")
        if url_for_root is not None:
            helpers["url_for"] = url_for_root(request.script_root)
    return helpers


def memoized_url_for(app: Flask):
    """app.url_for for templates, memoized: a page builds the same links many times over (static files, the
    navigation, a row's actions), and werkzeug takes ~5 µs a build. Only relative URLs from int and str values
    are kept; they depend on nothing else than the app's mount point (script_root). Returns a function that
    makes the url_for of a render, bound to its request's script_root."""
    build = app.url_for

    @lru_cache(maxsize=8192)
    def relative_url(script_root: str, endpoint: str, values: tuple) -> str:
        return build(endpoint, **dict(values))

    def bound_to(script_root: str):
        def url_for(endpoint: str, /, **values) -> str:
            if endpoint[:1] == ".":
                return build(endpoint, **values)
            for key, value in values.items():
                if key[:1] == "_" or (type(value) is not int and type(value) is not str):
                    return build(endpoint, **values)
            return relative_url(script_root, endpoint, tuple(values.items()))

        return url_for

    return bound_to


def init_app(app: Flask) -> None:
    app.context_processor(render_helpers)
    # A url_defaults function could make the same call build another URL: then nothing is memoized.
    if not app.url_default_functions:
        app.extensions["canal_url_for"] = memoized_url_for(app)
