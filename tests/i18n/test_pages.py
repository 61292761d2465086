"""Every page renders in Spanish and in English: each role crawls its GET pages in both languages."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from babel.messages.pofile import read_po

from models import OrderStatus, Role, db, utcnow
from tests.factories import make_order, make_user
from tests.i18n.test_catalog import PO_FILE
from tests.provisioning import cloud_setup, schedule

# Endpoints that answer something other than a page (files, JSON, the RQ dashboard) or end the session.
NOT_PAGES = ("static", "auth.logout", "ops.health", "ops.metrics", "rq_dashboard.")
LOG_OUT = {"en": "Log out", "es": "Cerrar sesión"}
NAVIGATION = {Role.RESELLER: {"en": "My imports", "es": "Mis importaciones"},
              Role.STAFF: {"en": "Admin", "es": "Administración"},
              Role.OPS: {"en": "Ops", "es": "Operaciones"}}


def _english_sentences() -> list[str]:
    """English msgids of three words or more whose Spanish differs: none may show on a Spanish page."""
    with PO_FILE.open("rb") as f:
        catalog = read_po(f)
    return [m.id for m in catalog if isinstance(m.id, str) and "%" not in m.id and m.string != m.id
            and len(m.id.split()) >= 3]


ENGLISH = _english_sentences()


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _pages(app, role: Role) -> list[str]:
    urls = [rule.rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.arguments and not rule.endpoint.startswith(NOT_PAGES)
            and not rule.rule.endswith(".csv")]
    return sorted(set(urls))


@pytest.fixture
def world():
    """A reseller with a customer, a scheduled provisioning and an approved order; staff and ops users."""
    user, customer, product = cloud_setup()
    user.reseller.currency = "USD"
    imp = schedule(user, customer, product, run_at=utcnow() + timedelta(days=2))
    order = make_order(user, status=OrderStatus.APPROVED)
    staff, ops = make_user(Role.STAFF), make_user(Role.OPS)
    db.session.commit()
    return {Role.RESELLER: user, Role.STAFF: staff, Role.OPS: ops, "customer": customer, "order": order,
            "import": imp}


def _detail_pages(role: Role, world) -> list[str]:
    if role is Role.RESELLER:
        return [f"/customers/{world['customer'].id}", f"/licenses/orders/{world['order'].id}",
                f"/imports/?open={world['import'].id}"]
    if role is Role.STAFF:
        return [f"/admin/approvals/{world['order'].id}", f"/admin/resellers/{world[Role.RESELLER].reseller_id}"]
    return []


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("role", [Role.RESELLER, Role.STAFF, Role.OPS], ids=lambda r: r.value)
def test_every_page_renders_in_the_users_language(app, client, login, world, role, language):
    user = world[role]
    user.locale, user.timezone = language, "America/Montevideo"
    login(user)
    checked = 0
    for url in _pages(app, role) + _detail_pages(role, world):
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200 or "<html" not in response.text:
            continue  # another role's page (403/404), a redirect, or a fragment
        text = _visible_text(response.text)
        assert f'<html lang="{language}">' in response.text, url
        assert LOG_OUT[language] in text and NAVIGATION[role][language] in text, url
        if language == "es":
            leaked = [sentence for sentence in ENGLISH if sentence in text]
            assert leaked == [], f"{url} shows English: {leaked}"
        checked += 1
    assert checked >= 3


def test_the_login_page_follows_the_browser_then_the_switch(client):
    assert "Iniciar sesión" in client.get("/login", headers={"Accept-Language": "es-UY,es;q=0.9"}).text
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en-US"}).text


@pytest.mark.parametrize("language,message", [("es", "El campo no puede tener más de 120 caracteres"),
                                              ("en", "Field cannot be longer than 120 characters")])
def test_wtforms_built_in_messages_follow_the_language(client, login, language, message):
    login(make_user(Role.STAFF, locale=language))
    response = client.post("/admin/catalog/vendors/", data={"name": "x" * 121})
    assert response.status_code == 422 and message in response.text
