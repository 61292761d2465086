"""Canal's application factory: configuration, extensions, blueprints and CLI. No routes here."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

import config
from extensions import babel, csrf, htmx, login_manager, migrate
from models import db


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("CANAL_INSTANCE_PATH"),
                instance_relative_config=True)
    app.config.from_mapping(config.defaults(app.instance_path))
    app.config.update(config.from_environ())
    if test_config:
        app.config.update(test_config)
    config.check(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _development_secret_key(Path(app.instance_path))

    register_extensions(app)
    register_blueprints(app)
    register_cli(app)
    return app


def _development_secret_key(instance: Path) -> str:
    """A random key kept under instance/, so web and worker agree and restarts keep sessions."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True,
                    compare_type=True)
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    from blueprints.auth.session import select_locale, select_timezone
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=str(Path(__file__).parent / "translations"))


def register_blueprints(app: Flask) -> None:
    from blueprints import init_app as init_blueprints
    from blueprints import security
    app.url_map.converters["int"] = security.IdConverter  # before any route is added
    init_blueprints(app)
    security.init_app(app)  # headers on every response, login throttling


def register_cli(app: Flask) -> None:
    from devstack.cli import demo_cli, dev_command
    from jobs.cli import jobs_cli
    from services.cli import users_cli

    for command in (jobs_cli, users_cli, demo_cli, dev_command):
        app.cli.add_command(command)
