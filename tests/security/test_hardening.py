"""Issue 18, finding 10: Permissions-Policy, NUL in JSON and multipart bodies, trusted hosts in production,
token-free access logs, and files of the dev stack that only their owner may read."""
import io
import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

import config
from app import create_app
from devstack import mailbox
from models import Customer, db
from tests.factories import make_user

CUSTOMER = {"code": "C-1", "name": "Acme", "email": "it@acme.example", "language": "en"}


def test_every_response_denies_devices_and_sensors_with_a_permissions_policy(client):
    for url in ("/login", "/no-such-page"):
        policy = client.get(url).headers["Permissions-Policy"]
        features = dict(item.strip().split("=") for item in policy.split(","))
        assert {"camera", "microphone", "geolocation", "payment", "usb"} <= set(features), url
        assert set(features.values()) == {"()"}, url


def test_a_nul_character_in_a_json_body_is_refused_with_400_and_nothing_written(client, login):
    """Flask-WTF fills forms from JSON bodies: PostgreSQL refused the NUL with a 500 and SQLite stored it."""
    login(make_user())
    for body in ({**CUSTOMER, "name": "Ac\x00me"}, {**CUSTOMER, "co\x00de": "x"}):
        response = client.post("/customers/", data=json.dumps(body), content_type="application/json")
        assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Customer.id))) == 0
    control = client.post("/customers/", data=json.dumps(CUSTOMER), content_type="application/json")
    assert control.status_code == 303
    assert db.session.scalar(db.select(Customer.name)) == "Acme"


def test_a_nul_character_in_a_multipart_body_is_refused_with_400(client, login):
    login(make_user())
    response = client.post("/customers/", data={**CUSTOMER, "name": "Ac\x00me"}, content_type="multipart/form-data")
    assert response.status_code == 400
    upload = client.post("/imports/upload", data={"file": (io.BytesIO(b"a,b\n"), "acc\x00ounts.csv")},
                         content_type="multipart/form-data")
    assert upload.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Customer.id))) == 0
    control = client.post("/customers/", data=CUSTOMER, content_type="multipart/form-data")
    assert control.status_code == 303



def test_production_refuses_to_start_with_the_mail_catcher(monkeypatch):
    """The catcher (and /ops/mail) stayed on in production unless MAIL_SERVER was set: ops read every link."""
    monkeypatch.setenv("CANAL_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    with pytest.raises(config.ConfigError, match="Set MAIL_SERVER when CANAL_ENV=production"):
        create_app()
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.com")
    assert create_app().config["MAIL_CATCHER_DIR"] is None


def test_the_mail_catcher_itself_refuses_to_run_in_production(tmp_path):
    catcher = subprocess.run([sys.executable, "-m", "devstack.mailcatcher", "--dir", str(tmp_path), "--port", "0"],
                             env={**os.environ, "CANAL_ENV": "production"}, capture_output=True, text=True, timeout=60,
                             check=False)
    assert catcher.returncode == 2
    assert "does not run with CANAL_ENV=production" in catcher.stderr


def test_production_answers_only_to_the_host_of_its_public_url(make_app):
    production = make_app(CANAL_ENV="production", SECRET_KEY="prod-secret", PUBLIC_URL="https://canal.example.com")
    client = production.test_client()
    forged = client.get("/", headers={"Host": "evil.example"})
    assert forged.status_code == 400
    assert "evil.example" not in forged.headers.get("Location", "")
    assert client.get("/", base_url="https://canal.example.com").status_code == 302  # to the login page


def test_trusted_hosts_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRUSTED_HOSTS", "canal.example.com, .canal.internal")
    assert config.from_environ()["TRUSTED_HOSTS"] == ["canal.example.com", ".canal.internal"]


def mode(path) -> int:
    return os.stat(path).st_mode & 0o777


def test_the_sqlite_database_is_readable_by_its_owner_only(make_app, tmp_path):
    older = tmp_path / "older.db"
    older.write_bytes(b"")
    older.chmod(0o644)  # as a database made before this fix
    for path in (tmp_path / "canal.db", older):
        app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}")
        with app.app_context():
            db.session.execute(sa.text("CREATE TABLE probe (x INTEGER)"))
            db.session.commit()
            files = sorted(p.name for p in tmp_path.glob(f"{path.name}*"))
            assert f"{path.name}-wal" in files  # WAL mode: its files are checked too
            assert {name: mode(tmp_path / name) for name in files} == {name: 0o600 for name in files}


def test_caught_mail_is_readable_by_its_owner_only(tmp_path):
    directory = tmp_path / "mail"
    name = mailbox.store(directory, b"Subject: invite\r\n\r\nhttp://canal.test/set-password/abc\r\n")
    assert mode(directory / name) == 0o600
    assert mode(directory) == 0o700
    assert [p.name for p in directory.iterdir()] == [name]
    assert mailbox.read_message(directory, name).subject == "invite"


@pytest.mark.parametrize("depth", [600, 5_000])  # read and walked; deeper than Python's json reads
def test_a_deeply_nested_json_body_is_checked_without_a_500(client, login, depth):
    login(make_user())
    body = '{"name": ' * depth + '"a\\u0000b"' + "}" * depth
    assert client.post("/customers/", data=body, content_type="application/json").status_code == 400
