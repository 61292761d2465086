"""The Team page: a reseller's admins invite, re-role, disable and enable their own users; every change is audited
and the reseller's last active admin stays (also against staff)."""
import re

import pytest
import sqlalchemy as sa

from models import AuditEvent, OutboxEmail, ResellerStatus, Role, TeamRole, User, db, utcnow
from services.accounts import accounts, resellers
from tests.factories import PASSWORD, make_reseller, make_user
from tests.support import mail_text, run_jobs

LINK = re.compile(r"http://canal\.test(/set-password/\S+)")


@pytest.fixture
def admin(login):
    return login(make_user(name="Ada Admin"))


def audit_of(user: User) -> list[tuple[str, dict]]:
    return [(e.action, e.details) for e in db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.object_type == "User", AuditEvent.object_id == str(user.id)).order_by(AuditEvent.id))]


def test_the_team_page_lists_the_resellers_users_with_role_and_status(client, admin):
    buyer = make_user(reseller=admin.reseller, team_role=TeamRole.BUYER, email="bruno@example.com")
    make_user(reseller=admin.reseller, team_role=TeamRole.VIEWER, enabled=False, email="vera@example.com")
    resellers.invite_user(admin.reseller, by=admin, email="ines@example.com", team_role=TeamRole.VIEWER)
    stranger = make_user(email="stranger@example.com")
    db.session.commit()
    html = client.get("/team/").get_data(as_text=True)
    rows = {m.group(1): m.group(2) for m in re.finditer(r'<tr id="member-(\d+)">(.*?)</tr>', html, re.S)}
    assert len(rows) == 4 and str(stranger.id) not in rows
    assert 'value="buyer" selected' in rows[str(buyer.id)] and "Active" in rows[str(buyer.id)]
    assert "Disabled" in html and "Invited" in html and "(you)" in rows[str(admin.id)]
    assert 'href="/team/"' in html  # in the navigation


def test_an_admin_invites_with_a_role_and_the_same_e_mail_staff_send(client, admin, smtp):
    response = client.post("/team/users", data={"email": "Nuevo@Example.com", "name": "Nuevo",
                                                 "team_role": "viewer"})
    assert response.status_code == 303
    user = accounts.find_user("nuevo@example.com")
    assert user.reseller_id == admin.reseller_id and user.team_role is TeamRole.VIEWER
    assert not accounts.has_usable_password(user)
    run_jobs("mail")
    message = smtp.wait_for_messages(1)[0]
    assert message["To"] == "nuevo@example.com"
    assert message["Subject"] == f"You are invited to Canal · {admin.reseller.name}"
    assert f"Ada Admin invited you to use Canal for {admin.reseller.name}." in mail_text(message)
    assert LINK.search(mail_text(message))
    assert audit_of(user) == [("user.invite", {"reseller_id": admin.reseller_id, "email": "nuevo@example.com",
                                               "team_role": "viewer"})]


def test_a_bad_invitation_comes_back_with_the_reason(client, admin):
    taken = make_user(email="taken@example.com")
    db.session.commit()
    for data, message in (({"email": "", "team_role": "buyer"}, "This field is required."),
                          ({"email": taken.email, "team_role": "buyer"}, "already exists"),
                          ({"email": "ok@example.com", "team_role": "owner"}, "Not a valid choice")):
        response = client.post("/team/users", data=data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), data
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail)) == 0


def test_an_admin_changes_a_role_and_it_is_audited(client, admin):
    user = make_user(reseller=admin.reseller, team_role=TeamRole.BUYER)
    db.session.commit()
    assert client.post(f"/team/users/{user.id}/role", data={"team_role": "viewer"}).status_code == 303
    db.session.refresh(user)
    assert user.team_role is TeamRole.VIEWER
    assert f"{user.email} is now Viewer." in client.get("/team/").get_data(as_text=True)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user.role_change"))
    assert event.actor_id == admin.id and event.details["changes"] == {"team_role": ["buyer", "viewer"]}


def test_disable_ends_the_users_sessions_and_enable_lets_them_back(client, app, admin):
    user = make_user(reseller=admin.reseller, team_role=TeamRole.BUYER)
    db.session.commit()
    their_browser = app.test_client()
    with their_browser.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
    assert their_browser.get("/").status_code == 200
    assert client.post(f"/team/users/{user.id}/disable").status_code == 303
    assert their_browser.get("/").status_code == 302
    db.session.refresh(user)
    assert not user.enabled and accounts.authenticate(user.email, PASSWORD) is None
    assert client.post(f"/team/users/{user.id}/enable").status_code == 303
    db.session.refresh(user)
    assert user.enabled and accounts.authenticate(user.email, PASSWORD) is not None
    assert [action for action, _ in audit_of(user)] == ["user.disable", "user.enable"]


def test_the_last_active_admin_can_be_neither_demoted_nor_disabled(client, admin):
    invited_admin = resellers.invite_user(admin.reseller, by=admin, email="later@example.com")  # no password yet
    db.session.commit()
    for url, data in ((f"/team/users/{admin.id}/role", {"team_role": "buyer"}),
                      (f"/team/users/{admin.id}/disable", {})):
        assert client.post(url, data=data).status_code == 303
        assert "is the last active admin of" in client.get("/team/").get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.enabled and admin.team_role is TeamRole.ADMIN
    assert [action for action, _ in audit_of(admin)] == []
    # Once another admin can log in, the first one may step down.
    accounts.set_password(invited_admin, "a-good-password")
    db.session.commit()
    response = client.post(f"/team/users/{admin.id}/role", data={"team_role": "buyer"})
    assert response.status_code == 303 and response.headers["Location"] == "/"  # no Team page for them now
    db.session.refresh(admin)
    assert admin.team_role is TeamRole.BUYER
    assert client.get("/team/").status_code == 403


def test_staff_are_held_to_the_last_admin_rule_too(client, login):
    staff = login(make_user(Role.STAFF))
    only_admin = make_user(team_role=TeamRole.ADMIN)
    buyer = make_user(reseller=only_admin.reseller, team_role=TeamRole.BUYER)
    db.session.commit()
    for operation in (resellers.disable_user, lambda u, by: resellers.change_team_role(u, TeamRole.VIEWER, by=by)):
        with pytest.raises(resellers.LastAdminError):
            operation(only_admin, by=staff)
        db.session.rollback()  # as the views do: the refused change took the reseller's lock
    url = f"/admin/resellers/{only_admin.reseller_id}/users"
    assert client.post(f"{url}/{only_admin.id}/disable").status_code == 303
    db.session.refresh(only_admin)
    assert only_admin.enabled
    # Staff keep their powers: they may make someone else admin, and then disable the first one.
    assert client.post(f"{url}/{buyer.id}/role", data={"team_role": "admin"}).status_code == 303
    assert client.post(f"{url}/{only_admin.id}/disable").status_code == 303
    db.session.refresh(only_admin)
    db.session.refresh(buyer)
    assert buyer.team_role is TeamRole.ADMIN and not only_admin.enabled
    assert [a for a, _ in audit_of(buyer)] == ["user.role_change"]


def test_another_resellers_user_is_404_and_unchanged(client, admin):
    other = make_user(team_role=TeamRole.BUYER)
    db.session.commit()
    for action, data in (("role", {"team_role": "viewer"}), ("disable", {}), ("enable", {}), ("resend", {})):
        assert client.post(f"/team/users/{other.id}/{action}", data=data).status_code == 404
    db.session.refresh(other)
    assert other.enabled and other.team_role is TeamRole.BUYER


@pytest.mark.parametrize("role,team_role", [(Role.RESELLER, TeamRole.BUYER), (Role.RESELLER, TeamRole.VIEWER),
                                            (Role.STAFF, TeamRole.ADMIN), (Role.OPS, TeamRole.ADMIN)])
def test_only_a_resellers_admins_get_the_team_page(client, login, role, team_role):
    user = login(make_user(role, team_role=team_role))
    assert client.get("/team/").status_code == 403
    assert client.post("/team/users", data={"email": "x@example.com", "team_role": "admin"}).status_code == 403
    assert 'href="/team/"' not in client.get("/").get_data(as_text=True)
    assert accounts.find_user("x@example.com") is None and user.enabled


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/team/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_an_invited_user_can_get_the_invitation_again(client, admin, smtp):
    user = resellers.invite_user(admin.reseller, by=admin, email="slow@example.com", team_role=TeamRole.BUYER)
    db.session.commit()
    assert client.post(f"/team/users/{user.id}/resend").status_code == 303
    run_jobs("mail")
    assert [m["To"] for m in smtp.wait_for_messages(2)] == ["slow@example.com", "slow@example.com"]
    assert [a for a, _ in audit_of(user)] == ["user.invite", "user.password_reset"]


def test_a_suspended_reseller_gets_no_new_users(client, admin):
    admin.reseller.status = ResellerStatus.SUSPENDED
    db.session.commit()
    response = client.post("/team/users", data={"email": "x@example.com", "team_role": "buyer"})
    assert response.status_code == 422 and "A suspended reseller cannot get new users." in response.get_data(
        as_text=True)


def test_users_from_before_team_roles_are_admins(app):
    """The migration's server default: a row written without a team role (as every existing row was) is an admin,
    so existing users keep every power they had."""
    reseller = make_reseller()
    db.session.execute(sa.text(
        "INSERT INTO \"user\" (email, name, password_hash, role, reseller_id, enabled, session_token, created_at) "
        "VALUES ('old@example.com', 'Old', 'x', 'reseller', :reseller_id, true, 'token', :now)"),
        {"reseller_id": reseller.id, "now": utcnow()})
    db.session.commit()
    assert accounts.find_user("old@example.com").team_role is TeamRole.ADMIN


def test_the_team_page_shows_recent_changes_by_admins_and_staff(client, login):
    staff = make_user(Role.STAFF, email="sofia@distri.test")
    admin = login(make_user(email="ada@example.com"))
    other_admin = make_user(reseller=admin.reseller, email="otto@example.com")
    invited = resellers.invite_user(admin.reseller, by=admin, email="ines@example.com", team_role=TeamRole.BUYER)
    resellers.change_team_role(invited, TeamRole.VIEWER, by=staff)
    resellers.disable_user(other_admin, by=admin)
    other = make_user(email="elsewhere@example.com", team_role=TeamRole.BUYER)
    resellers.change_team_role(other, TeamRole.VIEWER, by=staff)  # another reseller's team: not shown
    db.session.commit()
    html = client.get("/team/").get_data(as_text=True)
    section = html[html.index('id="team-changes"'):]
    rows = re.findall(r"<tr>\s*<td>.*?</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", section, re.S)
    assert [(by, " ".join(what.split()), user) for by, what, user in rows] == [
        ("ada@example.com", "Disabled", "otto@example.com"),
        ("sofia@distri.test", "Role changed: Buyer → Viewer", "ines@example.com"),
        ("ada@example.com", "Invited (Buyer)", "ines@example.com"),
    ]
    assert "elsewhere@example.com" not in html
