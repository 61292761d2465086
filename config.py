"""Configuration: defaults for a laptop, overridden by environment variables (see README)."""
from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from environs import Env
from marshmallow import ValidationError

# The environment variables an operator sets (README, Configuration), each with the environs parser that
# reads it into the config key of the same name (DATABASE_URL: SQLALCHEMY_DATABASE_URI). Unset or empty, the
# default stays; an empty TWO_FACTOR_REQUIRED_ROLES means nobody. A value that does not parse stops the
# start with an error naming the variable (environs.EnvError).
ENVIRONMENT = {
    "SECRET_KEY": "str",
    "DATABASE_URL": "database_url",
    "REDIS_URL": "str",
    "MAIL_SERVER": "str",
    "MAIL_PORT": "int",
    "MAIL_USERNAME": "str",
    "MAIL_PASSWORD": "str",
    "MAIL_USE_TLS": "bool",
    "MAIL_DEFAULT_SENDER": "str",
    "CANAL_ENV": "str",
    "PUBLIC_URL": "str",
    "TRUSTED_HOSTS": "names",
    "TAX_RATE": "str",  # a decimal string, read with Decimal where used
    "SESSION_IDLE_MINUTES": "int",
    "SESSION_MAX_HOURS": "int",
    "LOGIN_LIMIT_PER_IP": "str",
    "LOGIN_LIMIT_PER_ACCOUNT": "str",
    "LOGIN_LIMIT_PER_ACCOUNT_ANYWHERE": "str",
    "LOGIN_LIMIT_PER_CODE": "str",
    "TWO_FACTOR_REQUIRED_ROLES": "roles",
    "PROXY_COUNT": "int",
    "IMPORT_LEASE_SECONDS": "int",
    "RENEWAL_REMINDER_DAYS": "days",
    "CONNECTOR": "str",
    "CONNECTOR_URL": "str",
    "CONNECTOR_SECRET": "str",
}
CONFIG_KEYS = {"DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}
EMPTY_MEANS_NONE = {"TWO_FACTOR_REQUIRED_ROLES"}


class ConfigError(RuntimeError):
    pass


def defaults(instance_path: str) -> dict:
    instance = Path(instance_path)
    port = Env().int("PORT", 5000)
    return {
        "CANAL_ENV": "development",
        "SECRET_KEY": None,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'canal.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "REDIS_URL": f"unix://{instance / 'redis' / 'redis.sock'}",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": 8025,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_USE_TLS": False,
        "MAIL_DEFAULT_SENDER": "Canal <no-reply@canal.localhost>",
        "MAIL_TIMEOUT": 10,
        "MAIL_MAX_ATTEMPTS": 6,
        "MAIL_RETRY_BASE_SECONDS": 30,
        # The dev mail catcher writes each message here and /ops/mail reads it; None turns it off.
        "MAIL_CATCHER_DIR": str(instance / "mail"),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "TAX_RATE": "0",
        "CONNECTOR": "local",  # or "http" with CONNECTOR_URL and CONNECTOR_SECRET
        "CONNECTOR_URL": "",     # the http connector POSTs signed JSON here
        "CONNECTOR_SECRET": "",  # HMAC-SHA256 key of the signature
        "CONNECTOR_TIMEOUT": 10,
        "IMPORT_HELPER_JOBS": 1,  # extra due-import jobs queued when a batch comes back full (workers - 1)
        # A claimed import is renewed as its run goes on (each batch, each chunk of a file); a dead run's work
        # is taken over once its lease is this old. After this many claims a run that keeps dying ends FAILED.
        "IMPORT_LEASE_SECONDS": 30,  # with the sweep every minute: taken over 30-90 s after the worker died
        "IMPORT_MAX_ATTEMPTS": 3,
        # Reminder e-mails this many days before a subscription renews (services.subscriptions.renewals).
        "RENEWAL_REMINDER_DAYS": [7, 1],
        # Bulk CSV import (Import accounts): the file's limits. Flask refuses bodies a bit larger outright (413).
        "IMPORT_MAX_BYTES": 5 * 1024 * 1024,
        "IMPORT_MAX_ROWS": 20_000,
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024 + 256 * 1024,
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": ["en", "es"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
        # Enforced on the server from timestamps in the session (blueprints/auth/session.py).
        "SESSION_IDLE_MINUTES": 30,
        "SESSION_MAX_HOURS": 12,
        # Failed or not, every POST /login from an address counts (flask-limiter on Redis: RATELIMIT_STORAGE_URI).
        "LOGIN_LIMIT_PER_IP": "50 per 15 minutes",
        # Failed logins of one account from one address (a success clears them): a guesser elsewhere
        # cannot lock the real user out (blueprints/auth/throttle.py).
        "LOGIN_LIMIT_PER_ACCOUNT": "10 per 15 minutes",
        # Failed logins of one account from every address together: then only users with two-factor login get in.
        "LOGIN_LIMIT_PER_ACCOUNT_ANYWHERE": "100 per hour",
        # Wrong two-factor codes of one account, from anywhere (a code has only a million values).
        "LOGIN_LIMIT_PER_CODE": "5 per 15 minutes",
        # Roles that must log in with a second factor (services/accounts/two_factor.py); reseller users when their
        # reseller requires it. Environment: TWO_FACTOR_REQUIRED_ROLES="staff,ops" ("" for none).
        "TWO_FACTOR_REQUIRED_ROLES": ("staff", "ops"),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none).
        "PROXY_COUNT": 0,
    }


def from_environ() -> dict:
    """The settings given as environment variables, under their config keys."""
    env = Env()
    env.add_parser("database_url", normalise_database_url)
    env.add_parser("names", _names)  # TRUSTED_HOSTS="canal.example.com, .canal.internal"
    env.add_parser("roles", lambda value: tuple(name.lower() for name in _names(value)))
    env.add_parser("days", _days)
    config = {CONFIG_KEYS.get(name, name): getattr(env, parser)(name) for name, parser in ENVIRONMENT.items()
              if os.environ.get(name) or (name in EMPTY_MEANS_NONE and name in os.environ)}
    if "MAIL_SERVER" in config:
        config["MAIL_CATCHER_DIR"] = None  # a real mail server: no catcher, no /ops/mail
    return config


def _days(value: str) -> list[int]:
    """Whole numbers of days, e.g. "7, 1", largest first."""
    try:
        return sorted({int(days) for days in _names(value)}, reverse=True)
    except ValueError:
        raise ValidationError("Not whole numbers of days.") from None


def _names(value: str) -> list[str]:
    """Names separated by commas or spaces."""
    return [name for name in re.split(r"[,\s]+", value) if name]


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


MIN_SQLITE = (3, 35)  # RETURNING; UPDATE ... FROM (3.33) and json_each for a batch's writes (models.json_rows)


def _sqlite_is_recent() -> bool:
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        return False
    connection = sqlite3.connect(":memory:")
    try:  # JSON is built in from 3.38; before, only if SQLite was compiled with it
        connection.execute("SELECT json_array()")
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()
    return True


def check(config: dict) -> None:
    """Refuse to run in production with settings that are only safe on a laptop, or on a too old SQLite."""
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and not _sqlite_is_recent():
        raise ConfigError(f"Canal needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer, with JSON; this Python "
                          f"has {sqlite3.sqlite_version}. Use a newer Python build, or PostgreSQL (DATABASE_URL).")
    if config["CANAL_ENV"] == "production":
        if not config.get("SECRET_KEY"):
            raise ConfigError("SECRET_KEY must be set when CANAL_ENV=production.")
        if config.get("MAIL_CATCHER_DIR"):
            raise ConfigError("Set MAIL_SERVER when CANAL_ENV=production: the development mail catcher keeps "
                              "every message, set-password links and license keys included, for /ops/mail.")
        if not config.get("TRUSTED_HOSTS"):  # a forged Host header is refused (400), never echoed in a URL
            config["TRUSTED_HOSTS"] = [urlsplit(config["PUBLIC_URL"]).hostname]
        config["SESSION_COOKIE_SECURE"] = True
