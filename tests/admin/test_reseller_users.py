"""A reseller's users: invitation e-mail and set-password link, disable, enable, password reset."""
import re

import pytest
from itsdangerous.timed import TimestampSigner

from models import AuditEvent, OutboxEmail, Role, TeamRole, User, db
from services.accounts import accounts, resellers
from tests.factories import PASSWORD, make_reseller, make_user
from tests.support import mail_text, run_jobs

LINK = re.compile(r"http://canal\.test(/set-password/\S+)")


@pytest.fixture
def staff(login):
    return login(make_user(Role.STAFF, name="Sofía Staff"))


def received_link(smtp, count: int = 1) -> tuple[object, str]:
    run_jobs("mail")
    message = smtp.wait_for_messages(count)[-1]
    return message, LINK.search(mail_text(message)).group(1)


def audit_actions(user: User) -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.object_type == "User", AuditEvent.object_id == str(user.id)).order_by(AuditEvent.id)))


def invite(client, reseller, email="nueva@example.com", name="Nueva"):
    return client.post(f"/admin/resellers/{reseller.id}/users", data={"email": email, "name": name})


def test_invite_sends_a_link_that_sets_the_password_and_logs_in(client, staff, smtp):
    reseller = make_reseller(name="Andes IT")
    db.session.commit()
    assert invite(client, reseller, email="Nueva@Example.com").status_code == 303
    user = accounts.find_user("nueva@example.com")
    assert user.reseller_id == reseller.id and user.role is Role.RESELLER and user.enabled
    assert not accounts.has_usable_password(user)
    assert accounts.authenticate("nueva@example.com", "") is None

    message, path = received_link(smtp)
    assert message["To"] == "nueva@example.com"
    assert message["Subject"] == "You are invited to Canal · Andes IT"
    assert "Sofía Staff invited you to use Canal for Andes IT." in mail_text(message)

    page = client.get(path)
    assert page.status_code == 200 and "Set your password" in page.get_data(as_text=True)
    response = client.post(path, data={"password": "a-new-password", "confirm": "a-new-password"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Your password is set." in home and "Welcome, Nueva" in home
    db.session.expire_all()
    assert accounts.authenticate("nueva@example.com", "a-new-password").id == user.id
    assert audit_actions(user) == ["user.invite", "password.set"]


def test_a_set_password_link_works_once(client, staff, smtp):
    user = make_user(Role.RESELLER)
    resellers.send_password_reset(user, by=staff)
    db.session.commit()
    _, path = received_link(smtp)
    assert client.post(path, data={"password": "first-password", "confirm": "first-password"}).status_code == 303
    again = client.post(path, data={"password": "second-password", "confirm": "second-password"})
    assert again.status_code == 410
    assert "This link has already been used" in again.get_data(as_text=True)
    assert client.get(path).status_code == 410
    db.session.expire_all()
    assert accounts.authenticate(user.email, "first-password") is not None


def test_an_expired_link_says_so(client, staff, monkeypatch):
    user = make_user(Role.RESELLER)
    db.session.commit()
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 4 * 24 * 3600)
    path = accounts.password_link(user).removeprefix("http://canal.test")  # made four days ago
    monkeypatch.undo()
    response = client.get(path)
    assert response.status_code == 410
    assert "This link has expired." in response.get_data(as_text=True)


def test_a_tampered_link_is_invalid(client, staff):
    user = make_user(Role.RESELLER)
    db.session.commit()
    path = accounts.password_link(user).removeprefix("http://canal.test")
    for bad in (path[:-3] + "xyz", "/set-password/nonsense", "/set-password/" + "A" * 300):
        response = client.get(bad)
        assert response.status_code == 404
        assert "This link is not valid." in response.get_data(as_text=True)
        assert client.post(bad, data={"password": "whatever-pass", "confirm": "whatever-pass"}).status_code == 404


def test_a_later_password_change_voids_an_older_link(client, staff):
    user = make_user(Role.RESELLER)
    path = accounts.password_link(user).removeprefix("http://canal.test")
    accounts.change_password(user, PASSWORD, "changed-meanwhile")
    db.session.commit()
    assert client.get(path).status_code == 410


def test_set_password_refuses_short_or_different_passwords(client, staff):
    user = make_user(Role.RESELLER)
    db.session.commit()
    path = accounts.password_link(user).removeprefix("http://canal.test")
    db.session.commit()  # making a link voids the older ones: it is a change to the user
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422
    assert f"Use between {accounts.MIN_PASSWORD_LENGTH} and 1024 characters." in short.get_data(as_text=True)
    different = client.post(path, data={"password": "long-enough-1", "confirm": "long-enough-2"})
    assert different.status_code == 422 and "The two passwords are not the same." in different.get_data(as_text=True)
    assert client.get(path).status_code == 200  # still usable: nothing was changed


def test_setting_a_password_ends_every_earlier_session(client, app, login, staff):
    user = make_user(Role.RESELLER)
    db.session.commit()
    other_browser = app.test_client()
    with other_browser.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
    assert other_browser.get("/").status_code == 200
    path = accounts.password_link(user).removeprefix("http://canal.test")
    db.session.commit()
    assert client.post(path, data={"password": "brand-new-pass", "confirm": "brand-new-pass"}).status_code == 303
    assert other_browser.get("/").status_code == 302  # logged out there at once
    assert client.get("/").status_code == 200          # logged in here, as the user


def test_bad_invitations_come_back_with_the_reason(client, staff):
    reseller = make_reseller()
    taken = make_user(Role.RESELLER, reseller=reseller)
    db.session.commit()
    for email, message in (("", "This field is required."), ("not an address", "e-mail"),
                           (taken.email, "already exists"), ("x@y.com\r\nBcc: z@evil.test", "e-mail")):
        response = invite(client, reseller, email=email)
        assert response.status_code == 422, email
        html = response.get_data(as_text=True)
        assert 'id="email-error"' in html and message.lower() in html.lower(), email
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEmail)) == 0


def test_a_suspended_reseller_gets_no_new_users(client, staff):
    reseller = make_reseller()
    resellers.suspend_reseller(reseller, by=staff)
    db.session.commit()
    with pytest.raises(resellers.ResellerError):
        resellers.invite_user(reseller, by=staff, email="x@example.com")
    assert "Reactivate the reseller to invite users." in client.get(f"/admin/resellers/{reseller.id}").get_data(
        as_text=True)
    assert invite(client, reseller).status_code == 422


def test_disable_ends_the_users_sessions_at_once_and_enable_lets_them_log_in_again(client, app, staff):
    user = make_user(Role.RESELLER)
    make_user(Role.RESELLER, reseller=user.reseller)  # another admin: the last one cannot be disabled
    db.session.commit()
    their_browser = app.test_client()
    with their_browser.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
    assert their_browser.get("/").status_code == 200

    assert client.post(f"/admin/resellers/{user.reseller_id}/users/{user.id}/disable").status_code == 303
    assert their_browser.get("/").status_code == 302  # the very next request is logged out
    db.session.refresh(user)
    assert not user.enabled and accounts.authenticate(user.email, PASSWORD) is None
    assert "Disabled" in client.get(f"/admin/resellers/{user.reseller_id}").get_data(as_text=True)

    assert client.post(f"/admin/resellers/{user.reseller_id}/users/{user.id}/enable").status_code == 303
    db.session.refresh(user)
    assert user.enabled and accounts.authenticate(user.email, PASSWORD) is not None
    assert audit_actions(user) == ["user.disable", "user.enable"]


def test_disabling_twice_says_so(client, staff):
    user = make_user(Role.RESELLER, enabled=False)
    db.session.commit()
    client.post(f"/admin/resellers/{user.reseller_id}/users/{user.id}/disable")
    assert "is already disabled." in client.get(f"/admin/resellers/{user.reseller_id}").get_data(as_text=True)
    assert audit_actions(user) == []


def test_reset_password_mails_a_new_link(client, staff, smtp):
    user = make_user(Role.RESELLER, name="Rita")
    db.session.commit()
    assert client.post(f"/admin/resellers/{user.reseller_id}/users/{user.id}/reset-password").status_code == 303
    message, path = received_link(smtp)
    assert message["To"] == user.email
    assert message["Subject"] == "Your distributor sent you a link to set a new Canal password"
    assert "Hello Rita," in mail_text(message)
    assert accounts.authenticate(user.email, PASSWORD) is not None  # the old one works until a new one is set
    assert client.post(path, data={"password": "reset-password-1", "confirm": "reset-password-1"}).status_code == 303
    db.session.expire_all()
    assert accounts.authenticate(user.email, "reset-password-1") is not None
    assert audit_actions(user) == ["user.password_reset", "password.set"]


def test_a_disabled_user_gets_no_link_and_old_links_stop_working(client, staff):
    user = make_user(Role.RESELLER, team_role=TeamRole.BUYER)
    path = accounts.password_link(user).removeprefix("http://canal.test")
    resellers.disable_user(user, by=staff)
    db.session.commit()
    with pytest.raises(resellers.ResellerError, match="Enable"):
        resellers.send_password_reset(user, by=staff)
    assert client.get(path).status_code == 410


def test_a_user_of_another_reseller_is_404(client, staff):
    user = make_user(Role.RESELLER)
    other = make_reseller()
    db.session.commit()
    assert client.post(f"/admin/resellers/{other.id}/users/{user.id}/disable").status_code == 404
    db.session.refresh(user)
    assert user.enabled


def test_an_invited_user_cannot_log_in_before_setting_a_password(client, staff):
    user = resellers.invite_user(make_reseller(), by=staff, email="later@example.com")
    db.session.commit()
    for guess in ("", user.password_hash, user.password_hash[1:], PASSWORD):
        assert accounts.authenticate("later@example.com", guess) is None
    assert client.post("/login", data={"email": "later@example.com", "password": "anything-at-all"}).status_code == 422
