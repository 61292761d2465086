"""Sessions: cookie flags in production, renewed at login, ended at logout, idle and absolute lifetimes."""
import time

import pytest

from models import Role, db
from tests.factories import PASSWORD, make_user
from tests.support import HX


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SESSION_IDLE_MINUTES": 30, "SESSION_MAX_HOURS": 12}


def log_in_with_the_form(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    return response


def age_session(client, **seconds_ago):
    now = int(time.time())
    with client.session_transaction() as sess:
        for key, ago in seconds_ago.items():
            sess[key] = now - ago


def test_production_cookie_is_secure_httponly_and_lax(make_app):
    production = make_app(CANAL_ENV="production", SECRET_KEY="prod-secret", TRUSTED_HOSTS=["localhost"])
    assert production.config["SESSION_COOKIE_SECURE"] is True
    user = make_user(Role.STAFF)
    db.session.commit()
    response = log_in_with_the_form(production.test_client(), user)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in cookie, cookie


def test_login_starts_a_fresh_session_with_its_clock(client):
    user = make_user(Role.STAFF)
    db.session.commit()
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"  # e.g. a fixated session
    before = int(time.time())
    log_in_with_the_form(client, user)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert before <= sess["_started"] == sess["_seen"] <= time.time()


def test_logout_ends_the_session_on_the_server_too(client, app):
    user = make_user(Role.STAFF)
    db.session.commit()
    log_in_with_the_form(client, user)
    stolen = client.get_cookie("session").value
    assert client.post("/logout").status_code == 303
    client.set_cookie("session", stolen)  # a copy of the cookie taken before the logout
    assert client.get("/admin/").status_code == 302


def test_idle_session_expires(client, login):
    login(make_user(Role.STAFF))
    age_session(client, _seen=31 * 60, _started=40 * 60)
    response = client.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert "Your session has expired" in client.get("/login").get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # and it stays ended


def test_expired_htmx_request_gets_401_and_hx_redirect(client, login):
    login(make_user(Role.STAFF))
    age_session(client, _seen=31 * 60)
    response = client.get("/admin/", headers=HX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_activity_keeps_the_session_alive(client, login):
    login(make_user(Role.STAFF))
    age_session(client, _seen=29 * 60, _started=60 * 60)
    assert client.get("/admin/").status_code == 200
    with client.session_transaction() as sess:
        assert time.time() - sess["_seen"] < 5  # the idle clock restarted
    assert client.get("/admin/").status_code == 200


def test_absolute_lifetime_ends_even_an_active_session(client, login):
    login(make_user(Role.STAFF))
    age_session(client, _seen=10, _started=11 * 3600 + 59 * 60)
    assert client.get("/admin/").status_code == 200
    age_session(client, _seen=10, _started=12 * 3600 + 1)
    assert client.get("/admin/").status_code == 302


def test_lifetimes_are_configurable(make_app):
    short = make_app(SESSION_IDLE_MINUTES=1)
    client = short.test_client()
    user = make_user(Role.STAFF)
    db.session.commit()
    log_in_with_the_form(client, user)
    age_session(client, _seen=61)
    assert client.get("/admin/").status_code == 302


def test_settings_come_from_the_environment(monkeypatch):
    import config

    for name, value in {"SESSION_IDLE_MINUTES": "5", "SESSION_MAX_HOURS": "2", "PROXY_COUNT": "1",
                        "LOGIN_LIMIT_PER_IP": "9 per hour", "LOGIN_LIMIT_PER_ACCOUNT": "3 per hour"}.items():
        monkeypatch.setenv(name, value)
    assert {k: v for k, v in config.from_environ().items() if k.startswith(("SESSION", "PROXY", "LOGIN"))} == {
        "SESSION_IDLE_MINUTES": 5, "SESSION_MAX_HOURS": 2, "PROXY_COUNT": 1,
        "LOGIN_LIMIT_PER_IP": "9 per hour", "LOGIN_LIMIT_PER_ACCOUNT": "3 per hour"}
