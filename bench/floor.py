"""Canal's floor: the app with two pages that do nothing, served like Canal (gunicorn `bench.floor:create_app()`).

"/bench/hooks" runs every app-wide hook (session, security headers, CSRF, throttling) and no login;
"/bench/logged-in" adds loading the logged-in user. Both answer FLOOR_BYTES of HTML, so their ratio to the
bare Flask ceiling shows how much of it is gone before a page queries or renders anything.
"""
from __future__ import annotations

import os

from flask import Flask
from flask_login import login_required

from app import create_app as create_canal


def create_app() -> Flask:
    app = create_canal()
    body = ("<!doctype html><html><body>" + "x" * max(0, int(os.environ.get("FLOOR_BYTES", "13000")) - 40)
            + "</body></html>")

    @app.get("/bench/hooks")
    def hooks():
        return body

    @app.get("/bench/logged-in")
    @login_required
    def logged_in():
        return body

    return app
