"""Security headers on every response: CSP, nosniff, framing, referrer, HSTS, caching, Vary."""
import pytest

from models import Role
from tests.factories import make_user
from tests.support import HX

STRICT_CSP = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
    "frame-ancestors": "'none'", "form-action": "'self'", "base-uri": "'self'", "object-src": "'none'",
}
# Policies under which a same-origin POST still carries its full Referer (Flask-WTF checks it on HTTPS).
REFERRER_POLICIES_KEEPING_SAME_ORIGIN = {"same-origin", "strict-origin-when-cross-origin", "origin-when-cross-origin"}


def csp(response) -> dict[str, str]:
    directives = (d.strip().split(" ", 1) for d in response.headers["Content-Security-Policy"].split(";"))
    return {name: value for name, value in directives}


@pytest.mark.parametrize("headers", [{}, HX])
def test_pages_get_the_strict_policy_and_the_other_headers(client, login, headers):
    login(make_user(Role.RESELLER))
    response = client.get("/", headers=headers)
    assert response.status_code == 200
    assert csp(response) == STRICT_CSP
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in REFERRER_POLICIES_KEEPING_SAME_ORIGIN
    assert "HX-Request" in response.headers["Vary"]
    assert "Strict-Transport-Security" not in response.headers  # not in development


def test_errors_redirects_and_static_files_get_them_too(client):
    for url in ("/login", "/", "/no-such-page", "/static/canal.css"):
        response = client.get(url)
        response.close()  # a static file is streamed from an open file
        assert csp(response) == STRICT_CSP, url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url


def test_authenticated_pages_are_never_stored(client, login):
    login(make_user(Role.STAFF))
    for url in ("/", "/admin/", "/password"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url


def test_the_login_page_is_not_stored_either_but_static_files_may_be(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"  # it holds a CSRF token
    static = client.get("/static/canal.css")
    static.close()
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")


def test_hsts_only_in_production(make_app):
    production = make_app(CANAL_ENV="production", SECRET_KEY="prod-secret", TRUSTED_HOSTS=["localhost"])
    response = production.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert csp(response) == STRICT_CSP


def test_rq_dashboard_alone_gets_inline_scripts_and_styles(client, login):
    login(make_user(Role.OPS))
    dashboard = csp(client.get("/ops/rq/"))
    assert dashboard["script-src"] == "'self' 'unsafe-inline' 'unsafe-eval'"
    assert dashboard["style-src"] == "'self' 'unsafe-inline'"
    assert {k: v for k, v in dashboard.items() if k not in ("script-src", "style-src")} == {
        k: v for k, v in STRICT_CSP.items() if k not in ("script-src", "style-src")}
    assert csp(client.get("/ops/")) == STRICT_CSP
