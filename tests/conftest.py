"""Fixtures: the app on a real database (SQLite file, or PostgreSQL with TEST_DATABASE_URL), a real
Redis (embedded per session, or TEST_REDIS_URL), a real SMTP server, a live server and Chromium.

Speed: a test gets the app only when it asks for it (`app`, or a fixture that needs it: client, login,
page...); pure tests run without one. App tests share one app per session (per xdist worker), and
after each test its rows are deleted, Redis is flushed and app.config is put back. A module that
overrides `app_config` gets an app of its own for each test, as before.

pytest-xdist (`-n auto` in pyproject's addopts): each worker has its own SQLite file, embedded Redis
(or its own Redis database with TEST_REDIS_URL), SMTP port and PostgreSQL database (`<name>_gw1`...).
`-n 0` runs everything in one process."""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher
from flask.testing import FlaskClient
from flask_migrate import upgrade
from werkzeug.serving import make_server

os.environ.setdefault("CANAL_INSTANCE_PATH", tempfile.mkdtemp(prefix="canal-test-instance-"))
for _var in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "CANAL_ENV", "SECRET_KEY"):
    os.environ.pop(_var, None)  # the suite configures itself; a developer's shell must not leak in

from app import create_app
from devstack import redis_server
from devstack.mailcatcher import CatchingHandler
from models import db
from services.accounts import passwords
from tests.support import free_port, parse_mail, wait_for

# argon2id at its lowest cost in the tests (before tests.factories hashes its PASSWORD): a hash or a check costs
# microseconds instead of about 0.2 s of CPU (64 MiB, t=3, p=4), which every log-in through the form, wrong
# password and new password paid. The parameters travel in each hash, so the `flask` subprocesses of the drills
# check these hashes as cheaply. What is hashed and checked, and when, is unchanged.
passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
passwords._DUMMY_HASH = passwords._hasher.hash("not a real password")

IN_CI = bool(os.environ.get("CI"))
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"... under pytest-xdist
WORKER_INDEX = int(XDIST_WORKER[2:]) if XDIST_WORKER.startswith("gw") else 0


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # a hook of pytest-xdist
def pytest_xdist_auto_num_workers(config):
    """`-n auto` (pyproject's addopts): one process when only files or single tests are named (no
    workers to start), else two workers per CPU, as most of the time a test waits on a subprocess,
    Chromium or SMTP rather than computes. PYTEST_XDIST_AUTO_NUM_WORKERS=N overrides it."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist reads it
    if config.args and all(Path(arg.split("::")[0]).is_file() for arg in config.args):
        return 0
    return min(2 * (os.cpu_count() or 1), 8)


# --- Redis -----------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield _redis_database_of_worker(url)
        return
    directory = tempfile.mkdtemp(prefix="canal-redis-")  # short path: unix sockets allow ~100 chars
    process, url = redis_server.start(directory)
    yield url
    process.terminate()
    process.wait(10)
    shutil.rmtree(directory, ignore_errors=True)


def _redis_database_of_worker(url: str) -> str:
    """TEST_REDIS_URL's database for worker 0; worker i uses database + i, or database - i when the
    server has no database that high (CI's /15 with two workers: 15 and 14). Each test flushes it."""
    if not WORKER_INDEX:
        return url
    from redis import Redis

    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    with Redis.from_url(url) as redis:
        databases = int(redis.config_get("databases")["databases"])
    number = base + WORKER_INDEX if base + WORKER_INDEX < databases else base - WORKER_INDEX
    if not 0 <= number < databases:
        raise pytest.UsageError(f"TEST_REDIS_URL {url}: no Redis database left for xdist worker {XDIST_WORKER}")
    return urlunsplit(parts._replace(path=f"/{number}"))


# --- SMTP ------------------------------------------------------------------------------------------

class SMTPServer:
    """A real SMTP server (aiosmtpd) on a free port that keeps what it receives; can be stopped."""

    def __init__(self):
        self.port = free_port()
        self.handler = CatchingHandler()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        with self.handler.lock:
            return [parse_mail(raw) for _, raw in self.handler.messages]

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.messages.clear()

    def wait_for_messages(self, count: int, timeout: float = 10.0):
        wait_for(lambda: len(self.handler.messages) >= count, timeout)
        return self.messages


@pytest.fixture(scope="session")
def smtp_server():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server):
    if smtp_server.controller is None:
        smtp_server.start()  # a test that stopped it must not break the next one
    smtp_server.clear()
    yield smtp_server
    if smtp_server.controller is None:
        smtp_server.start()


# --- Database --------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        from config import normalise_database_url

        url = _database_of_worker(normalise_database_url(url))
        engine = sa.create_engine(url)
        with engine.begin() as conn:  # a clean slate: the schema comes from the migrations below
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'canal-test.db'}"
    return url


def _database_of_worker(url: str) -> str:
    """Under xdist, worker i > 0 gets its own PostgreSQL database `<name>_gw<i>`, created if missing."""
    if not WORKER_INDEX:
        return url
    base = sa.engine.make_url(url)
    own = base.set(database=f"{base.database}_{XDIST_WORKER}")
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                              {"name": own.database}).first()
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{own.database}"'))
    engine.dispose()
    return own.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def migrated_database(database_url, redis_url):
    """Apply the real migrations once per session: the schema tests run on is the one production gets."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": database_url,
                      "REDIS_URL": redis_url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def test_config(database_url: str, redis_url: str, smtp_port: int) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_TIMEOUT": 3,
        "MAIL_CATCHER_DIR": None,
        "WTF_CSRF_ENABLED": False,
        "PUBLIC_URL": "http://canal.test",
        # The `login` fixture skips the login form, so nobody is asked for a second factor by default;
        # tests/auth/test_two_factor.py turns the requirement on (production: staff and ops).
        "TWO_FACTOR_REQUIRED_ROLES": (),
    }


@pytest.fixture
def app_config(migrated_database, redis_url, smtp):
    """Override keys in a test module with its own fixture of this name."""
    return test_config(migrated_database, redis_url, smtp.port)


@pytest.fixture(scope="session")
def shared_app(migrated_database, redis_url, smtp_server):
    """The one app of the session for every test that keeps the default `app_config`."""
    config = test_config(migrated_database, redis_url, smtp_server.port)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        cleaner = TableCleaner()
    yield app, config, cleaner
    with app.app_context():
        db.engine.dispose()
        from queues import get_redis

        get_redis().close()
    app.redis_conn.close()  # rq-dashboard's own connection


@pytest.fixture
def app(app_config, shared_app):
    """The shared app (a test module with its own `app_config` gets a new app), in an app context.

    After the test: every table emptied, Redis flushed before the next, app.config as it was."""
    from queues import get_redis

    shared, config, cleaner = shared_app
    own = app_config != config
    app = create_app(app_config) if own else shared
    with app.app_context():
        get_redis().flushdb()
        settings, extensions = dict(app.config), dict(app.extensions)
        try:
            yield app
        finally:
            db.session.remove()
            cleaner.empty_all_tables()
            if own:
                db.engine.dispose()
                get_redis().close()
                app.redis_conn.close()  # rq-dashboard's own connection
            else:
                _restore(app, settings, extensions)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that needs the app without asking for it fails with a hint (there is no autouse app)."""
    report = yield
    if (report.failed and "app" not in getattr(item, "fixturenames", ())
            and "Working outside of application context" in str(report.longrepr)):
        report.sections.append(("hint", "this test needs the app: ask for the `app` fixture (or one that "
                                "uses it: client, login...), or put pytestmark = pytest.mark.usefixtures(\"app\") "
                                "in its module; tests/conftest.py gives the app only to tests that ask"))
    return report


def _restore(app, settings: dict, extensions: dict) -> None:
    """What a test changed on the shared app (a setting, a Redis client it replaced) is put back."""
    changed = dict(app.config) != settings
    if changed:
        app.config.clear()
        app.config.update(settings)
    if changed or any(app.extensions.get(key) is not value for key, value in extensions.items()):
        for key in set(app.extensions) - set(extensions):  # made from the changed settings
            del app.extensions[key]
        app.extensions.update(extensions)


class TableCleaner:
    """Deletes every row, children first; on PostgreSQL also restarts the id sequences.

    DELETE rather than TRUNCATE: on the nearly empty tables a test leaves, TRUNCATE ... RESTART
    IDENTITY CASCADE costs PostgreSQL about 0.4 s (it recreates each table's files), DELETE a few ms.
    """

    def __init__(self):
        self.tables = list(reversed(db.metadata.sorted_tables))
        self.script = None  # PostgreSQL: every DELETE and the sequences' restart in one round trip
        if db.engine.dialect.name == "postgresql":
            preparer = db.engine.dialect.identifier_preparer
            statements = [f"DELETE FROM {preparer.format_table(table)}" for table in self.tables]
            with db.engine.connect() as conn:
                sequences = conn.execute(sa.text(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences"
                    " WHERE schemaname = current_schema()")).scalars().all()
            if sequences:
                statements.append("SELECT " + ", ".join(f"setval('{name}', 1, false)" for name in sequences))
            self.script = "; ".join(statements)

    def empty_all_tables(self) -> None:
        with db.engine.begin() as conn:
            if self.script is not None:
                conn.exec_driver_sql(self.script)
                return
            for table in self.tables:
                conn.execute(table.delete())


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, as in production: its own db.session and `g`.

    Without this, Flask reuses the test's app context, so the logged-in user cached in `g` and
    the test's session would leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def login(client):
    """Log a user in without the form (the login form has its own tests)."""
    def _login(user):
        db.session.commit()
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
        return user
    return _login


# --- Live server and browser ---------------------------------------------------------------------

@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


# Debian's build of Chromium's headless shell (what Playwright itself runs headless) first: the browser tests
# took 182 CPU-s with it against 277-324 with the full browser in its headless mode, same tests, same run.
CHROMIUMS = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    executable = os.environ.get("CHROMIUM_PATH") or next(
        (path for path in CHROMIUMS if Path(path).exists()), CHROMIUMS[-1])
    if not Path(executable).exists():
        message = f"no Chromium at {executable} (install Debian's chromium-headless-shell or set CHROMIUM_PATH)"
        if IN_CI:
            pytest.fail(message)  # in CI a browser test must run, never skip
        pytest.skip(message + "; CI installs it and runs these tests")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # as page's default below: expect() would wait 5 s

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(20_000)  # generous: CI machines are small and busy
    page = context.new_page()
    yield page
    context.close()

