"""Set-password links (issue 18, finding 6): only the newest link works, and setting the password or
logging in voids every link still out there ("used or replaced by a newer one" is then true)."""
from models import Role, db
from services.accounts import accounts, resellers
from tests.factories import PASSWORD, make_user

REPLACED = "This link has already been used or replaced by a newer one."


def link_path(user) -> str:
    path = accounts.password_link(user).removeprefix("http://canal.test")
    db.session.commit()
    return path


def test_a_newer_link_voids_the_older_one(client):
    user = make_user(Role.RESELLER)
    older = link_path(user)
    newer = link_path(user)
    response = client.get(older)
    assert response.status_code == 410 and REPLACED in response.get_data(as_text=True)
    assert client.post(older, data={"password": "older-link-pass", "confirm": "older-link-pass"}).status_code == 410
    assert client.get(newer).status_code == 200
    assert client.post(newer, data={"password": "newer-link-pass", "confirm": "newer-link-pass"}).status_code == 303


def test_a_link_sent_by_staff_is_voided_by_the_next_one_they_send(client, login):
    staff = make_user(Role.STAFF)
    user = make_user(Role.RESELLER)
    first = link_path(user)
    resellers.send_password_reset(user, by=staff)
    db.session.commit()
    assert client.get(first).status_code == 410


def test_logging_in_voids_every_link(client):
    user = make_user(Role.RESELLER)
    path = link_path(user)
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 303
    client.post("/logout")
    response = client.get(path)
    assert response.status_code == 410 and REPLACED in response.get_data(as_text=True)


def test_setting_the_password_voids_every_link(client):
    user = make_user(Role.RESELLER)
    path = link_path(user)
    assert client.post(path, data={"password": "first-new-pass", "confirm": "first-new-pass"}).status_code == 303
    assert client.get(path).status_code == 410
    db.session.expire_all()
    assert db.session.get(type(user), user.id).password_link_nonce is None


def test_a_failed_login_leaves_the_link_working(client):
    user = make_user(Role.RESELLER)
    path = link_path(user)
    assert client.post("/login", data={"email": user.email, "password": "not it"}).status_code == 422
    assert client.get(path).status_code == 200
