"""Every /admin and /ops URL, found by crawling the URL map, answers only to its role."""
import re

import pytest

from app import create_app
from models import Role
from tests.factories import make_user
from tests.support import HX


def guarded_urls(prefix: str) -> list[tuple[str, str]]:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        url = re.sub(r"<(?:([^:<>]+):)?([^<>]+)>", _sample_value, rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, url))
    assert urls, f"no routes under {prefix}"
    return urls


def _sample_value(match: re.Match) -> str:
    converter, name = match.groups()
    return "1" if converter == "int" or name.endswith("id") else "x"


ADMIN_URLS = guarded_urls("/admin")
OPS_URLS = [u for u in guarded_urls("/ops") if u[1] != "/ops/health"]


def request(client, method, url, **kw):
    return client.open(url, method=method, **kw)


@pytest.mark.parametrize("method,url", ADMIN_URLS + OPS_URLS)
def test_anonymous_gets_the_login_page(client, method, url):
    response = request(client, method, url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert request(client, method, url, headers=HX).status_code == 401


@pytest.mark.parametrize("method,url", ADMIN_URLS + OPS_URLS)
def test_reseller_gets_403_everywhere(client, login, method, url):
    login(make_user(Role.RESELLER))
    assert request(client, method, url).status_code == 403
    assert request(client, method, url, headers=HX).status_code == 403


@pytest.mark.parametrize("method,url", OPS_URLS + [("GET", "/ops/health")])
def test_staff_gets_403_on_ops(client, login, method, url):
    login(make_user(Role.STAFF))
    assert request(client, method, url).status_code == 403


@pytest.mark.parametrize("method,url", ADMIN_URLS)
def test_ops_gets_403_on_admin(client, login, method, url):
    login(make_user(Role.OPS))
    assert request(client, method, url).status_code == 403


def test_the_right_roles_get_in(client, login):
    login(make_user(Role.OPS))
    assert client.get("/ops/").status_code == 200
    assert client.get("/ops/rq/").status_code == 200  # rq-dashboard, mounted behind the ops guard
    client.post("/logout")
    login(make_user(Role.STAFF))
    assert client.get("/admin/").status_code == 200
