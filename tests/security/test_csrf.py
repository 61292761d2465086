"""CSRF is ON in this module: every state-changing request needs the token, htmx ones included."""
import re

import pytest

from app import create_app
from models import AuditEvent, Role, User, db
from tests.factories import PASSWORD, make_user
from tests.support import HX


def sample(match: re.Match) -> str:
    converter, name = match.groups()
    if name == "instance_number":
        return "0"  # rq-dashboard's Redis instance: there is one
    return "1" if converter == "int" else "x"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def unsafe_routes() -> list[tuple[str, str, str]]:
    """(method, sample URL, endpoint) of every route that may change state, from the URL map."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    routes = []
    for rule in app.url_map.iter_rules():
        url = re.sub(r"<(?:([^:<>]+):)?([^<>]+)>", sample, rule.rule)
        for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"}):
            routes.append((method, url, rule.endpoint))
    return routes


UNSAFE = unsafe_routes()
OURS = [(m, u) for m, u, endpoint in UNSAFE if not endpoint.startswith("rq_dashboard.")]
DASHBOARD = [(m, u) for m, u, endpoint in UNSAFE if endpoint.startswith("rq_dashboard.")]


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[1]


def header_token(html: str) -> str:
    return re.search(r"""hx-headers='\{"X-CSRFToken": "([^"]+)"\}'""", html)[1]


def audit_count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(AuditEvent))


def test_login_without_a_token_is_refused(client):
    user = make_user(Role.STAFF)
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "reload the page and try again" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302 and audit_count() == 0


def test_login_with_the_forms_hidden_token_works(client):
    user = make_user(Role.STAFF)
    db.session.commit()
    token = form_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    assert client.get("/").status_code == 200


def test_htmx_post_with_the_pages_header_token_works(client, login):
    user = login(make_user(Role.RESELLER))
    old_hash = user.password_hash
    token = header_token(client.get("/").get_data(as_text=True))
    new = "another good passphrase"
    response = client.post("/password", headers={**HX, "X-CSRFToken": token},
                           data={"current_password": PASSWORD, "new_password": new, "confirm_password": new})
    assert response.status_code == 303
    token = header_token(client.get("/").get_data(as_text=True))  # a fresh session, a fresh token
    assert client.post("/logout", headers={**HX, "X-CSRFToken": token}).status_code == 303
    assert client.get("/").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash != old_hash


def test_a_wrong_or_foreign_token_is_refused(client, app, login):
    login(make_user(Role.STAFF))
    other = app.test_client()
    foreign = form_token(other.get("/login").get_data(as_text=True))  # valid, but another session's
    for token in ("nonsense", foreign):
        assert client.post("/logout", headers={**HX, "X-CSRFToken": token}).status_code == 400
    assert client.get("/").status_code == 200  # still logged in


@pytest.mark.parametrize("role", [None, *Role])
def test_every_state_changing_route_refuses_a_request_without_token(client, login, db_writes, role):
    if role is not None:
        login(make_user(role))
    before = audit_count()
    db_writes.statements.clear()
    for method, url in OURS:
        for headers in ({}, HX):
            response = client.open(url, method=method, headers=headers, data={"x": "1"})
            assert response.status_code == 400, (method, url, response.status_code)
    assert db_writes.statements == [] and audit_count() == before


def test_rq_dashboard_actions_need_our_origin(client, login):
    login(make_user(Role.OPS))
    routes = DASHBOARD + [("GET", "/ops/rq/requeue/x")]  # requeue-all also answers GET
    for method, url in routes:
        for source in ({}, {"Origin": "https://evil.example"}, {"Referer": "https://evil.example/"},
                       {"Origin": "null"}):
            assert client.open(url, method=method, headers=source).status_code == 403, (method, url, source)
    assert client.post("/ops/rq/requeue/x", headers={"Origin": "http://localhost"}).status_code == 200


def test_https_needs_a_same_origin_referer_which_our_referrer_policy_keeps(make_app):
    # On HTTPS Flask-WTF also checks the Referer; Referrer-Policy same-origin still sends it to us.
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    user = make_user(Role.STAFF)
    db.session.commit()
    page = client.get("/login", base_url="https://canal.test")
    assert page.headers["Referrer-Policy"] == "same-origin"
    data = {"email": user.email, "password": PASSWORD, "csrf_token": form_token(page.get_data(as_text=True))}
    assert client.post("/login", base_url="https://canal.test", data=data).status_code == 400  # no Referer
    assert client.post("/login", base_url="https://canal.test", data=data,
                       headers={"Referer": "https://evil.example/login"}).status_code == 400
    assert client.post("/login", base_url="https://canal.test", data=data,
                       headers={"Referer": "https://canal.test/login"}).status_code == 303
