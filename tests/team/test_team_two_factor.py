"""The Team page and two-factor login: an admin requires it of the whole team, and resets a teammate's lost phone
(services/accounts/two_factor.py, the functions staff use too); both audited."""
import time

import pyotp

from models import AuditEvent, TeamRole, User, db
from services.accounts import two_factor
from tests.factories import make_user


def enrol(user: User) -> None:
    secret = two_factor.new_secret()
    two_factor.enable(user, secret, pyotp.TOTP(secret).at(time.time() - 30))
    db.session.commit()


def in_own_browser(app, user):
    browser = app.test_client()
    with browser.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
    return browser


def test_an_admin_requires_two_factor_of_the_whole_team(client, app, login):
    admin = login(make_user())
    buyer = make_user(reseller=admin.reseller, team_role=TeamRole.BUYER)
    stranger = make_user()
    db.session.commit()
    buyer_browser, stranger_browser = in_own_browser(app, buyer), in_own_browser(app, stranger)
    assert "Require two-factor for our team" in client.get("/team/").get_data(as_text=True)
    assert client.post("/team/two-factor/require").status_code == 303
    assert buyer_browser.get("/").headers["Location"] == "/account/two-factor"  # at their next page
    assert stranger_browser.get("/").status_code == 200  # another reseller: unchanged
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "reseller.two_factor_required"))
    assert event.actor_id == admin.id and event.object_id == str(admin.reseller_id) and event.details == {
        "required": True}
    enrol(admin)  # the admin is asked too; once set up, the page shows the switch the other way
    assert "Stop requiring two-factor" in client.get("/team/").get_data(as_text=True)
    assert client.post("/team/two-factor/stop-requiring").status_code == 303
    assert buyer_browser.get("/").status_code == 200


def test_an_admin_resets_a_teammates_two_factor_audited(client, app, login):
    admin = login(make_user())
    buyer = make_user(reseller=admin.reseller, team_role=TeamRole.BUYER)
    enrol(buyer)
    buyer_browser = in_own_browser(app, buyer)
    assert buyer_browser.get("/").status_code == 200
    html = client.get("/team/").get_data(as_text=True)
    assert f"/team/users/{buyer.id}/reset-two-factor" in html and "two-factor on" in html
    response = client.post(f"/team/users/{buyer.id}/reset-two-factor", follow_redirects=True)
    assert "is reset" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not two_factor.is_enabled(db.session.get(User, buyer.id))
    assert buyer_browser.get("/").status_code == 302  # their sessions ended
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "two_factor.reset"))
    assert event.actor_id == admin.id and event.object_id == str(buyer.id)
    again = client.post(f"/team/users/{buyer.id}/reset-two-factor", follow_redirects=True)
    assert "has no two-factor login to reset" in again.get_data(as_text=True)


def test_an_admin_does_not_reset_their_own_or_another_resellers_two_factor(client, login):
    admin = login(make_user())
    enrol(admin)
    stranger = make_user()
    enrol(stranger)
    response = client.post(f"/team/users/{admin.id}/reset-two-factor", follow_redirects=True)
    assert "Change your own two-factor login on your two-factor page." in response.get_data(as_text=True)
    assert client.post(f"/team/users/{stranger.id}/reset-two-factor").status_code == 404
    db.session.expire_all()
    assert two_factor.is_enabled(db.session.get(User, admin.id))
    assert two_factor.is_enabled(db.session.get(User, stranger.id))


def test_buyers_and_viewers_cannot_touch_two_factor_of_the_team(client, login):
    admin = make_user()
    enrol(admin)
    for team_role in (TeamRole.BUYER, TeamRole.VIEWER):
        login(make_user(reseller=admin.reseller, team_role=team_role))
        assert client.post("/team/two-factor/require").status_code == 403
        assert client.post(f"/team/users/{admin.id}/reset-two-factor").status_code == 403
    db.session.expire_all()
    assert two_factor.is_enabled(db.session.get(User, admin.id)) and not admin.reseller.two_factor_required


def test_the_requirement_shows_in_the_recent_changes(client, login):
    admin = login(make_user(email="ada@example.com"))
    assert "No changes to the team yet." in client.get("/team/").get_data(as_text=True)
    client.post("/team/two-factor/require")
    enrol(admin)  # required of the admin too, before any other page
    section = client.get("/team/").get_data(as_text=True).split('id="team-changes"')[1]
    assert "Two-factor requirement changed: required" in " ".join(section.split())
    assert admin.email in section
