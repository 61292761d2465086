"""Access logs without the tokens of set-password and activation links (issue 18): whoever reads the logs
must not be able to set a user's password or read a customer's license keys.

gunicorn (production, `make bench`) logs through TokenFreeLogger (gunicorn.conf.py); the development
server's request lines and the app's own log (a failed request's path) go through TokenFreeFilter.
"""
from __future__ import annotations

import logging

from flask import Flask
from gunicorn.glogging import Logger

from services.mail.mail_secrets import without_tokens


class TokenFreeLogger(Logger):
    """gunicorn's logger, its access-log lines without link tokens (TokenFreeFilter on the finished line: one
    search per request, not one per atom, of which gunicorn makes one for every header and environ key)."""

    def setup(self, cfg):
        super().setup(cfg)
        _add_filter(self.access_log)


class TokenFreeFilter(logging.Filter):
    """Rewrites a log record's message without link tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = without_tokens(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def init_app(app: Flask) -> None:
    # werkzeug: the dev server's request lines; the app's logger: "Exception on /set-password/... [POST]".
    for logger in (logging.getLogger("werkzeug"), app.logger):
        _add_filter(logger)


def _add_filter(logger: logging.Logger) -> None:
    if not any(isinstance(f, TokenFreeFilter) for f in logger.filters):
        logger.addFilter(TokenFreeFilter())
