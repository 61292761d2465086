"""Viewers read only: crawl the URL map and send every state-changing route (every method but GET/HEAD/OPTIONS),
plain and htmx, as a viewer of the reseller that owns the objects named in the URL. Each answers 403 and nothing
changes, except the few writes blueprints.guards lets a viewer make (their own login and settings).

The ids come from the tenant crawl's FILL (tests/isolation/test_crawl.py), so a route is refused for the role,
not for a missing object; the control shows the same URLs do not answer 403 to a buyer of the same reseller."""
from __future__ import annotations

import re

import pytest
from flask import url_for

from blueprints.guards import VIEWER_MAY_WRITE, VIEWER_MAY_WRITE_IN
from blueprints.security import SAFE_METHODS
from models import Role, TeamRole, db
from tests.factories import make_user
from tests.isolation.test_crawl import FILL, STAFF_AREAS
from tests.isolation.world import changed_tables, reseller_a_world, snapshot
from tests.support import HX

ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
SAMPLE = {"step": "details", "code": "es", "token": "x" * 20, "instance_number": "0"}


def viewer_may_write(endpoint: str) -> bool:
    return endpoint in VIEWER_MAY_WRITE or endpoint.partition(".")[0] in VIEWER_MAY_WRITE_IN


def writes(app, objects) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL) of every state-changing route, its ids filled with reseller A's objects."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            for method in sorted(rule.methods - SAFE_METHODS):
                fill = FILL.get(rule.endpoint, {})
                args = {name: objects[fill[name]].id if name in fill
                        else SAMPLE.get(name, "1" if converter == "int" else "x")
                        for converter, name in ARG.findall(rule.rule)}
                found.append((rule.endpoint, method, url_for(rule.endpoint, **args)))
    return sorted(found)


FORM = {"quantity": "1", "name": "changed", "email": "v@example.com", "code": "V-1", "product_id": "1",
        "accept": "y", "billing_type": "monthly", "now": "1", "confirm": "yes", "team_role": "admin",
        "locale": "es", "timezone": "UTC"}


def test_every_state_changing_route_refuses_a_viewer_and_changes_nothing(app, client, login):
    objects = reseller_a_world()
    login(make_user(reseller=objects["user"].reseller, team_role=TeamRole.VIEWER))
    before = snapshot()
    tried, wrong = 0, []
    for endpoint, method, url in writes(app, objects):
        if viewer_may_write(endpoint):
            continue
        for headers in ({}, HX):
            response = client.open(url, method=method, headers=headers, data=FORM)
            if response.status_code != 403:
                wrong.append(f"{method} {url} ({endpoint}, {headers or 'plain'}): {response.status_code}")
            tried += 1
        changed = changed_tables(before, snapshot())
        assert not changed, f"{method} {url} ({endpoint}) as a viewer changed {changed}"
    assert not wrong, "routes a viewer could write to:\n" + "\n".join(wrong)
    assert tried >= 2 * 40  # the whole map was walked


def test_the_viewer_is_told_why(client, login):
    viewer = login(make_user(team_role=TeamRole.VIEWER))
    response = client.post("/customers/", data={"code": "C-1", "name": "New"})
    assert response.status_code == 403
    assert "Your role in your team is viewer" in response.get_data(as_text=True)
    assert client.get("/customers/").status_code == 200  # reading stays open
    assert viewer.enabled


def test_a_viewer_still_manages_their_own_settings_and_logs_out(client, login):
    viewer = login(make_user(team_role=TeamRole.VIEWER))
    assert client.post("/preferences", data={"locale": "es", "timezone": "America/Montevideo"}).status_code == 303
    assert client.post("/language/en", data={"next": "/"}).status_code == 303
    db.session.refresh(viewer)
    assert viewer.locale == "en" and viewer.timezone == "America/Montevideo"
    assert client.post("/logout").status_code in (302, 303)
    assert client.get("/customers/").status_code == 302  # logged out


def test_the_exemptions_name_real_routes(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(VIEWER_MAY_WRITE) <= endpoints
    assert {e.partition(".")[0] for e in endpoints} >= set(VIEWER_MAY_WRITE_IN)


@pytest.mark.parametrize("team_role", [TeamRole.BUYER, TeamRole.ADMIN])
def test_control_buyers_and_admins_are_not_refused_on_the_same_urls(app, client, login, team_role):
    objects = reseller_a_world()
    login(make_user(reseller=objects["user"].reseller, team_role=team_role))
    refused = []
    for endpoint, method, url in writes(app, objects):
        if endpoint.startswith(STAFF_AREAS) or viewer_may_write(endpoint) or endpoint.startswith("team."):
            continue
        if client.open(url, method=method, data=FORM).status_code == 403:
            refused.append(f"{method} {url} ({endpoint})")
    assert not refused


def test_staff_logged_in_as_a_viewer_read_only_and_can_hand_back(client, login):
    login(make_user(Role.STAFF))
    viewer = make_user(team_role=TeamRole.VIEWER)
    db.session.commit()
    assert client.post(f"/admin/resellers/{viewer.reseller_id}/users/{viewer.id}/impersonate").status_code == 303
    assert client.post("/customers/", data={"code": "C-1", "name": "New"}).status_code == 403  # as the viewer
    response = client.post("/admin/impersonation/stop")
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/resellers/{viewer.reseller_id}"
    assert client.get("/admin/").status_code == 200  # staff again
