"""The parts a bench run needs: a private Redis, an SMTP catcher and databases filled by datagen.

Each database is described by an `env` dict (DATABASE_URL, CANAL_INSTANCE_PATH, ...) that gunicorn, the
`flask jobs` processes and the in-process app all read, so every part talks to the same data.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bench.server import ROOT, free_port

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = "canal_bench"


@dataclass
class Backend:
    name: str                 # "sqlite" or "postgresql"
    size: str                 # "full" or "small"
    env: dict[str, str]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.env["DATABASE_URL"]


@contextmanager
def redis_server(directory: Path):
    from devstack import redis_server as devredis

    process, url = devredis.start(directory)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(10)


@contextmanager
def smtp_catcher():
    """An aiosmtpd server on a free port that keeps what it receives (handler.messages)."""
    from aiosmtpd.controller import Controller

    from devstack.mailcatcher import CatchingHandler

    handler = CatchingHandler(None)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


def base_env(instance: Path, redis_url: str, smtp_port: int) -> dict[str, str]:
    instance.mkdir(parents=True, exist_ok=True)
    return {"CANAL_INSTANCE_PATH": str(instance), "SECRET_KEY": "bench", "REDIS_URL": redis_url,
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port), "PUBLIC_URL": "http://canal.bench",
            "LOGIN_LIMIT_PER_IP": "10000 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "10000 per minute",
            "LOGIN_LIMIT_PER_ACCOUNT_ANYWHERE": "10000 per minute",
            "TWO_FACTOR_REQUIRED_ROLES": ""}  # the bench's staff log in with a password alone


def sqlite_backend(tmp: Path, size: str, env: dict[str, str]) -> Backend:
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / f"canal-{size}.db"
    return _fill(Backend("sqlite", size, {**env, "DATABASE_URL": f"sqlite:///{path}"}))


def postgres_backend(size: str, env: dict[str, str]) -> Backend | str:
    """A fresh canal_bench database (canal_bench_small for the small dataset), or why PostgreSQL is skipped."""
    name = _pg_name(size)
    try:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL here
        return f"PostgreSQL unreachable at {PG_ADMIN_URL.split('@')[-1]} ({type(exc).__name__}); skipped"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    return _fill(Backend("postgresql", size, {**env, "DATABASE_URL": url}))


def drop_postgres() -> None:
    try:
        _pg_admin(*(f'DROP DATABASE IF EXISTS "{_pg_name(size)}" WITH (FORCE)' for size in ("full", "small")))
    except Exception:  # noqa: BLE001
        pass


def _pg_name(size: str) -> str:
    return PG_DATABASE if size == "full" else f"{PG_DATABASE}_{size}"


def _pg_admin(*statements: str) -> None:
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def _fill(backend: Backend) -> Backend:
    """Migrate with `flask db upgrade` (the real schema) and bulk-insert the dataset."""
    start = time.perf_counter()
    flask(backend.env, "db", "upgrade")
    backend.timings["migrate_s"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    with app_context(backend.env):
        from bench import datagen

        backend.timings.update({f"insert_{k}_s": v for k, v in datagen.generate(backend.size).items()})
        _analyze(backend)
    backend.timings["generate_s"] = round(time.perf_counter() - start, 2)
    return backend


def _analyze(backend: Backend) -> None:
    """Fresh statistics and (PostgreSQL) a visibility map, as a production database has after autovacuum: without
    the map, a count that an index could answer reads every row of the table as well."""
    from models import db

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))


def flask(env: dict[str, str], *args: str, **popen) -> subprocess.CompletedProcess | subprocess.Popen:
    command = [sys.executable, "-m", "flask", "--app", "app", *args]
    full_env = {**os.environ, **env}
    if popen:
        return subprocess.Popen(command, cwd=ROOT, env=full_env, **popen)
    done = subprocess.run(command, check=False, cwd=ROOT, env=full_env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done


def make_app(env: dict[str, str]):
    """The real app on this backend (the environment is set while it is created)."""
    from app import create_app

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return create_app()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def app_context(env: dict[str, str]):
    """An app context on this backend, in this process; its engine is disposed at the end."""
    app = make_app(env)
    with app.app_context():
        yield app
        from models import db

        db.session.remove()
        db.engine.dispose()
