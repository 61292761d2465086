"""'Log in as' a reseller user: switch, banner on every page, stop, audit, limits. CSRF is on here."""
import re

import pytest

from models import AuditEvent, Role, db
from tests import conftest
from tests.factories import make_user

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def app_config(migrated_database, redis_url, smtp):
    return {**conftest.test_config(migrated_database, redis_url, smtp.port), "WTF_CSRF_ENABLED": True}


@pytest.fixture
def staff(login):
    return login(make_user(Role.STAFF, email="sofia@distri.test"))


def csrf_token(client, url: str) -> str:
    return TOKEN.search(client.get(url).get_data(as_text=True)).group(1)


def start(client, user):
    url = f"/admin/resellers/{user.reseller_id}"
    return client.post(f"{url}/users/{user.id}/impersonate", data={"csrf_token": csrf_token(client, url)})


def stop(client):
    return client.post("/admin/impersonation/stop", data={"csrf_token": csrf_token(client, "/")})


def events() -> list[tuple[str, int, str]]:
    return list(db.session.execute(db.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.object_id)
                                   .where(AuditEvent.action.like("impersonation.%")).order_by(AuditEvent.id)))


def test_start_shows_the_banner_everywhere_and_stop_returns_to_staff(client, staff):
    user = make_user(Role.RESELLER, email="rita@reseller.test")
    db.session.commit()
    response = start(client, user)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "You are logged in as rita@reseller.test on behalf of sofia@distri.test" in home
    assert 'action="/admin/impersonation/stop"' in home
    assert user.reseller.name in home                          # the reseller's own home page
    assert client.get("/admin/").status_code == 403            # the staff powers are gone meanwhile
    error_page = client.get("/admin/").get_data(as_text=True)
    assert "on behalf of sofia@distri.test" in error_page      # the banner is there on every page

    response = stop(client)
    assert response.status_code == 303 and response.headers["Location"] == f"/admin/resellers/{user.reseller_id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are back as sofia@distri.test." in page and "on behalf of" not in page
    assert events() == [("impersonation.start", staff.id, str(user.id)), ("impersonation.stop", staff.id, str(user.id))]


def test_staff_and_ops_cannot_be_impersonated(client, staff):
    reseller = make_user(Role.RESELLER).reseller
    for role in (Role.STAFF, Role.OPS):
        other = make_user(role)
        db.session.commit()
        # Not one of this reseller's users, so the URL does not even exist.
        assert client.post(f"/admin/resellers/{reseller.id}/users/{other.id}/impersonate",
                           data={"csrf_token": csrf_token(client, "/admin/")}).status_code == 404
    assert events() == []


def test_the_service_refuses_non_reseller_and_disabled_targets(staff):
    from services.accounts import impersonation

    with pytest.raises(impersonation.ImpersonationError, match="cannot be impersonated"):
        impersonation.start(staff, make_user(Role.OPS))
    with pytest.raises(impersonation.ImpersonationError, match="disabled"):
        impersonation.start(staff, make_user(Role.RESELLER, enabled=False))
    with pytest.raises(impersonation.ImpersonationError, match="Only staff"):
        impersonation.start(make_user(Role.OPS), make_user(Role.RESELLER))


def test_a_disabled_user_cannot_be_impersonated_from_the_page(client, staff):
    user = make_user(Role.RESELLER, enabled=False)
    db.session.commit()
    assert start(client, user).status_code == 303
    page = client.get(f"/admin/resellers/{user.reseller_id}").get_data(as_text=True)
    assert "is disabled." in page and "on behalf of" not in page
    assert events() == []


def test_impersonation_ends_when_the_staff_members_own_session_ends(client, staff):
    user = make_user(Role.RESELLER)
    db.session.commit()
    start(client, user)
    assert client.get("/").status_code == 200
    staff.end_sessions()  # e.g. the staff member changed their password, or was disabled
    db.session.commit()
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/admin/").status_code == 302  # no way back to staff powers without logging in


def test_a_reseller_cannot_use_stop_to_become_anyone(client, login):
    login(make_user(Role.RESELLER))
    response = client.post("/admin/impersonation/stop", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 403


def test_the_forms_need_the_csrf_token(client, staff):
    user = make_user(Role.RESELLER)
    db.session.commit()
    assert client.post(f"/admin/resellers/{user.reseller_id}/users/{user.id}/impersonate").status_code == 400
    start(client, user)
    assert client.post("/admin/impersonation/stop").status_code == 400
    assert "on behalf of" in client.get("/").get_data(as_text=True)  # still impersonating


def test_logout_while_impersonating_ends_both_logins_on_every_copy_of_the_cookie(app, client, staff):
    user = make_user(Role.RESELLER, email="rita@reseller.test")
    db.session.commit()
    own_session = app.test_client()  # the reseller user's own browser, logged in meanwhile
    with own_session.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
    start(client, user)
    token = csrf_token(client, "/")
    stolen = client.get_cookie("session").value  # a copy taken before logout
    assert client.post("/logout", data={"csrf_token": token}).headers["Location"] == "/login"

    def replay():
        thief = app.test_client()
        thief.set_cookie("session", stolen)
        return thief

    as_reseller = replay()
    response = as_reseller.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert as_reseller.get("/customers/").status_code == 302
    as_staff = replay()  # "stop impersonating" with the copy would have handed back the staff login
    response = as_staff.post("/admin/impersonation/stop", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert as_staff.get("/admin/").status_code == 302
    assert events() == [("impersonation.start", staff.id, str(user.id)), ("impersonation.stop", staff.id, str(user.id))]
    stop_details = db.session.scalar(db.select(AuditEvent.details).where(AuditEvent.action == "impersonation.stop"))
    assert stop_details["ended_by"] == "logout"
    assert own_session.get("/").status_code == 200  # the user's own sessions are not the staff member's to end
