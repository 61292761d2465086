"""Change password: checks the current one, ends every other session, keeps this one, is audited."""
import pytest

from models import AuditEvent, Role, User, db
from services.accounts.accounts import authenticate
from tests.factories import PASSWORD, make_user
from tests.support import HX

NEW = "a brand new passphrase"


def change(client, current=PASSWORD, new=NEW, confirm=None, headers=None):
    data = {"current_password": current, "new_password": new, "confirm_password": new if confirm is None else confirm}
    return client.post("/password", data=data, headers=headers or {})


def test_every_role_has_the_page_linked_in_the_footer(client, login):
    for role in Role:
        login(make_user(role))
        html = client.get("/").get_data(as_text=True)
        assert 'href="/password"' in html and "Change password" in html
        page = client.get("/password").get_data(as_text=True)
        for label in ("Current password", "New password", "New password, again"):
            assert f">{label}" in page
        client.post("/logout")


def test_anonymous_is_sent_to_login(client):
    assert client.get("/password").headers["Location"] == "/login?next=/password"
    assert client.post("/password").status_code == 302


def test_change_keeps_this_session_and_ends_the_others(client, app, login):
    user = login(make_user(Role.RESELLER))
    other_device = app.test_client()
    with other_device.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
    assert other_device.get("/").status_code == 200
    response = change(client)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "Your password has been changed" in client.get("/").get_data(as_text=True)
    assert client.get("/").status_code == 200
    assert other_device.get("/").status_code == 302
    db.session.expire_all()
    assert authenticate(user.email, NEW) is not None and authenticate(user.email, PASSWORD) is None
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "password.change")).one()
    assert event.actor_id == user.id and event.object_id == str(user.id)


@pytest.mark.parametrize("current,new,confirm,field,message", [
    ("not my password", NEW, NEW, "current_password", "The current password is not correct."),
    (PASSWORD, "short", "short", "new_password", "Use between 8 and 1024 characters."),
    (PASSWORD, NEW, NEW + "x", "confirm_password", "The two new passwords are not the same."),
    (PASSWORD, PASSWORD, PASSWORD, "new_password", "The new password must be different from the current one."),
    ("", "", "", "current_password", "This field is required."),
])
def test_bad_input_changes_nothing(client, login, current, new, confirm, field, message):
    user = login(make_user(Role.STAFF))
    before = (user.password_hash, user.session_token)
    response = change(client, current, new, confirm, headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" not in html  # the form block only, for htmx
    assert f'id="{field}-error">{message}' in html
    assert new not in html or new == ""  # passwords are never echoed back
    db.session.expire_all()
    assert (db.session.get(User, user.id).password_hash, db.session.get(User, user.id).session_token) == before
    assert client.get("/").status_code == 200


def test_every_error_shows_at_once(client, login):
    """A wrong current password and a mistyped confirmation: both messages in one answer, not one per submit."""
    login(make_user(Role.RESELLER))
    html = change(client, "not my password", NEW, NEW + "x", headers=HX).get_data(as_text=True)
    assert 'id="current_password-error">The current password is not correct.' in html
    assert 'id="confirm_password-error">The two new passwords are not the same.' in html
