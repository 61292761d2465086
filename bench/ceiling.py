"""The machine's ceiling: a bare Flask page of a given HTML size, served the same way as Canal.

Run by gunicorn as `bench.ceiling:create_app()`; CEILING_BYTES sets the page size.
"""
from __future__ import annotations

import os

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)
    body = ("<!doctype html><html><body>" + "x" * max(0, int(os.environ.get("CEILING_BYTES", "20000")) - 40)
            + "</body></html>").encode()

    @app.get("/")
    def page():
        return body, 200, {"Content-Type": "text/html; charset=utf-8"}

    return app
