"""The environment variables of the README's Configuration table, read with environs (config.from_environ)."""
import re
from pathlib import Path

import pytest
from environs import EnvError

import config


@pytest.fixture
def environ(monkeypatch):
    """Only the variables a test sets: none of Canal's from the shell running the tests."""
    for name in config.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)

    def set_(**values):
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return config.from_environ()
    return set_


def test_nothing_set_keeps_every_default(environ):
    assert environ() == {}


def test_integers(environ):
    assert environ(MAIL_PORT="2525", IMPORT_LEASE_SECONDS="90", PROXY_COUNT="1") == {
        "MAIL_PORT": 2525, "IMPORT_LEASE_SECONDS": 90, "PROXY_COUNT": 1}


@pytest.mark.parametrize("value, expected", [("true", True), ("1", True), ("yes", True), ("on", True),
                                             ("false", False), ("0", False), ("no", False)])
def test_booleans(environ, value, expected):
    assert environ(MAIL_USE_TLS=value) == {"MAIL_USE_TLS": expected}


def test_a_value_that_does_not_parse_names_its_variable(environ):
    with pytest.raises(EnvError, match="MAIL_PORT"):
        environ(MAIL_PORT="smtp")


def test_an_empty_value_keeps_the_default(environ):
    assert environ(MAIL_PORT="", MAIL_SERVER="", SESSION_IDLE_MINUTES="") == {}


def test_lists(environ):
    assert environ(TRUSTED_HOSTS="canal.example.com, .canal.internal",
                   TWO_FACTOR_REQUIRED_ROLES="Staff, ops reseller") == {
        "TRUSTED_HOSTS": ["canal.example.com", ".canal.internal"],
        "TWO_FACTOR_REQUIRED_ROLES": ("staff", "ops", "reseller")}


def test_an_empty_two_factor_required_roles_means_nobody(environ):
    assert environ(TWO_FACTOR_REQUIRED_ROLES="") == {"TWO_FACTOR_REQUIRED_ROLES": ()}
    assert config.defaults("/tmp")["TWO_FACTOR_REQUIRED_ROLES"] == ("staff", "ops")  # unset: the default


@pytest.mark.parametrize("url, expected", [
    ("postgres://canal:pw@db.internal/canal", "postgresql+psycopg://canal:pw@db.internal/canal"),
    ("postgresql://canal@db.internal/canal", "postgresql+psycopg://canal@db.internal/canal"),
    ("sqlite:////srv/canal.db", "sqlite:////srv/canal.db"),
])
def test_database_url_is_normalised_for_psycopg(environ, url, expected):
    assert environ(DATABASE_URL=url) == {"SQLALCHEMY_DATABASE_URI": expected}


def test_mail_server_turns_the_catcher_off(environ):
    assert environ(MAIL_SERVER="smtp.example.com") == {"MAIL_SERVER": "smtp.example.com",
                                                       "MAIL_CATCHER_DIR": None}


def test_strings_are_kept_as_given(environ):
    given = {"LOGIN_LIMIT_PER_IP": "9 per hour", "TAX_RATE": "0.22", "CONNECTOR": "http",
             "MAIL_DEFAULT_SENDER": "Canal <no-reply@canal.example.com>"}
    assert environ(**given) == given


def test_every_variable_of_the_readme_is_read():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = {name for line in table.splitlines() if line.startswith("| `")
                  for name in re.findall(r"`([A-Z_]+)`", line.split(" | ")[0])}
    read_elsewhere = {"PORT": "config.defaults (PUBLIC_URL)", "CANAL_INSTANCE_PATH": "app.create_app"}
    assert documented - set(read_elsewhere) == set(config.ENVIRONMENT)


def test_renewal_reminder_days(environ):
    assert environ(RENEWAL_REMINDER_DAYS="1, 7 30") == {"RENEWAL_REMINDER_DAYS": [30, 7, 1]}
    with pytest.raises(EnvError, match="RENEWAL_REMINDER_DAYS"):
        environ(RENEWAL_REMINDER_DAYS="7,soon")
