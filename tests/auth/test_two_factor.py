"""Two-factor login: enrolment with a QR code, the code step, used and wrong codes, recovery codes, the
code throttle, who must use it (staff and ops here, a reseller's users when required) and a lost phone.

The suite's default config requires nobody (tests/conftest.py), so the `login` fixture keeps working;
this module turns the production default on."""
import re
import threading
import time

import pyotp
import pytest

from models import AuditEvent, RecoveryCode, Role, User, db
from services.accounts import accounts, two_factor
from tests.factories import PASSWORD, make_user
from tests.support import HX

SECRET = re.compile(r'id="totp-secret">([A-Z2-7]+)<')
CODE = re.compile(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>")


@pytest.fixture
def app_config(app_config):
    return {**app_config, "TWO_FACTOR_REQUIRED_ROLES": ("staff", "ops"), "LOGIN_LIMIT_PER_CODE": "3 per minute"}


def enrol(user: User) -> tuple[pyotp.TOTP, list[str]]:
    """Two-factor on, proven with the previous step's code, so that the current one is still unused."""
    secret = two_factor.new_secret()
    totp = pyotp.TOTP(secret)
    codes = two_factor.enable(user, secret, totp.at(time.time() - 30))
    db.session.commit()
    return totp, codes


def password_step(client, user, ip="10.0.0.1"):
    return client.post("/login", data={"email": user.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": ip})


def code_step(client, code, ip="10.0.0.1"):
    return client.post("/login/code", data={"code": code}, environ_base={"REMOTE_ADDR": ip})


def actions(user) -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.object_id == str(user.id), AuditEvent.object_type == "User").order_by(AuditEvent.id)))


def test_enrol_with_the_qr_code_then_log_in_with_a_code(client, login):
    user = login(make_user(Role.RESELLER))
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page and "Turn on two-factor login" in page
    totp = pyotp.TOTP(SECRET.search(page).group(1))
    wrong = client.post("/account/two-factor/enable", data={"code": "000000" if totp.now() != "000000" else "111111"})
    assert wrong.status_code == 422 and "That code is not valid." in wrong.get_data(as_text=True)
    done = client.post("/account/two-factor/enable", data={"code": totp.now()})
    assert done.status_code == 200
    codes = CODE.findall(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    client.post("/logout")

    response = password_step(client, user)
    assert response.status_code == 303 and response.headers["Location"] == "/login/code"
    assert client.get("/").status_code == 302  # the password alone is not a login
    assert code_step(client, totp.at(time.time() + 30)).status_code == 303  # the next step: within the window
    assert client.get("/").status_code == 200
    assert actions(user)[-2:] == ["two_factor.enable", "login"]


def test_a_used_code_is_refused_the_second_time(client):
    user = make_user(Role.RESELLER)
    totp, _codes = enrol(user)
    password_step(client, user)
    code = totp.now()
    assert code_step(client, code).status_code == 303
    client.post("/logout")
    password_step(client, user)
    again = code_step(client, code)
    assert again.status_code == 422 and "That code is not valid." in again.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_a_wrong_code_logs_nobody_in(client):
    user = make_user(Role.RESELLER)
    totp, _codes = enrol(user)
    password_step(client, user)
    wrong = str((int(totp.now()) + 1) % 1_000_000).zfill(6)
    assert code_step(client, wrong).status_code == 422
    assert code_step(client, "not a code").status_code == 422
    assert client.get("/").status_code == 302
    assert "login" not in actions(user)


def test_the_code_step_needs_the_password_step_first(client):
    user = make_user(Role.RESELLER)
    totp, _codes = enrol(user)
    response = code_step(client, totp.now())
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.get("/login/code").status_code == 303


def test_a_recovery_code_works_once(client):
    user = make_user(Role.RESELLER)
    _totp, codes = enrol(user)
    password_step(client, user)
    assert code_step(client, codes[0].upper().replace("-", " ")).status_code == 303  # typed loosely
    assert "9 are left" in client.get("/").get_data(as_text=True)
    client.post("/logout")
    password_step(client, user)
    assert code_step(client, codes[0]).status_code == 422
    assert code_step(client, codes[1]).status_code == 303


def test_new_recovery_codes_void_the_old_ones(client, login):
    user = login(make_user(Role.RESELLER))
    totp, old = enrol(user)
    page = client.post("/account/two-factor/recovery-codes", data={"code": totp.now()})
    new = CODE.findall(page.get_data(as_text=True))
    assert page.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    assert two_factor.verify(user, old[0]) is None
    assert two_factor.verify(user, new[0]) == "recovery"


def test_wrong_codes_are_throttled_per_account_from_anywhere(client, app):
    user = make_user(Role.RESELLER)
    totp, _codes = enrol(user)
    password_step(client, user)
    for _ in range(3):
        assert code_step(client, "000000" if totp.now() != "000000" else "111111").status_code == 422
    throttled = code_step(client, totp.now())
    assert throttled.status_code == 429 and 0 < int(throttled.headers["Retry-After"]) <= 60
    assert "Too many attempts. Try again in 1 minute." in throttled.get_data(as_text=True)
    elsewhere = app.test_client()
    password_step(elsewhere, user, ip="10.9.9.9")
    assert code_step(elsewhere, totp.now(), ip="10.9.9.9").status_code == 429
    assert client.get("/").status_code == 302


def test_staff_without_two_factor_are_sent_to_set_it_up(client):
    staff = make_user(Role.STAFF)
    db.session.commit()
    response = password_step(client, staff)
    assert response.status_code == 303 and response.headers["Location"] == "/account/two-factor"
    assert client.get("/admin/").headers["Location"] == "/account/two-factor"
    htmx = client.get("/admin/", headers=HX)
    assert htmx.status_code == 403 and htmx.headers["HX-Redirect"] == "/account/two-factor"
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Your account needs two-factor login." in page
    totp = pyotp.TOTP(SECRET.search(page).group(1))
    assert client.post("/account/two-factor/enable", data={"code": totp.now()}).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_required_two_factor_cannot_be_turned_off(client, login):
    staff = login(make_user(Role.STAFF))
    totp, _codes = enrol(staff)
    response = client.post("/account/two-factor/disable", data={"code": totp.now()})
    assert response.status_code == 422 and "it cannot be turned off" in response.get_data(as_text=True)
    db.session.expire_all()
    assert two_factor.is_enabled(db.session.get(User, staff.id))


def test_reseller_users_may_turn_it_off(client, login):
    user = login(make_user(Role.RESELLER))
    totp, _codes = enrol(user)
    assert client.post("/account/two-factor/disable", data={"code": totp.now()}).status_code == 303
    db.session.expire_all()
    assert not two_factor.is_enabled(db.session.get(User, user.id))
    assert db.session.scalar(db.select(db.func.count()).select_from(RecoveryCode)) == 0
    client.post("/logout")
    assert password_step(client, user).headers["Location"] == "/"  # straight in


def test_staff_require_two_factor_for_a_resellers_users(client, app, login):
    user = make_user(Role.RESELLER)
    other = make_user(Role.RESELLER)
    db.session.commit()
    reseller_browser = app.test_client()
    with reseller_browser.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
    assert reseller_browser.get("/").status_code == 200
    staff = make_user(Role.STAFF)
    enrol(staff)
    login(staff)
    page = client.get(f"/admin/resellers/{user.reseller_id}").get_data(as_text=True)
    assert "Require two-factor" in page
    assert client.post(f"/admin/resellers/{user.reseller_id}/two-factor/require").status_code == 303
    assert reseller_browser.get("/").headers["Location"] == "/account/two-factor"  # at their next page
    other_browser = app.test_client()
    assert password_step(other_browser, other).headers["Location"] == "/"  # another reseller: unchanged
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "reseller.two_factor_required"))
    assert event.actor_id == staff.id and event.details == {"required": True}
    assert "Stop requiring two-factor" in client.get(f"/admin/resellers/{user.reseller_id}").get_data(as_text=True)
    client.post(f"/admin/resellers/{user.reseller_id}/two-factor/stop-requiring")
    assert reseller_browser.get("/").status_code == 200


def test_staff_reset_a_lost_phone_audited(client, app, login):
    user = make_user(Role.RESELLER)
    _totp, codes = enrol(user)
    user_browser = app.test_client()
    with user_browser.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
    staff = make_user(Role.STAFF)
    enrol(staff)
    login(staff)
    url = f"/admin/resellers/{user.reseller_id}"
    assert "Reset two-factor" in client.get(url).get_data(as_text=True)
    response = client.post(f"{url}/users/{user.id}/reset-two-factor", follow_redirects=True)
    assert "is reset" in response.get_data(as_text=True)
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "two_factor.reset"))
    assert event.actor_id == staff.id and event.object_id == str(user.id)
    assert user_browser.get("/").status_code == 302  # their sessions ended
    db.session.expire_all()
    assert two_factor.verify(db.session.get(User, user.id), codes[0]) is None
    assert password_step(user_browser, user).headers["Location"] == "/"  # a password alone again
    again = client.post(f"{url}/users/{user.id}/reset-two-factor", follow_redirects=True)
    assert "has no two-factor login to reset" in again.get_data(as_text=True)


def test_a_set_password_link_does_not_skip_the_second_factor(client):
    user = make_user(Role.RESELLER)
    totp, _codes = enrol(user)
    path = accounts.password_link(user).removeprefix("http://canal.test")
    db.session.commit()
    response = client.post(path, data={"password": "a-brand-new-pass", "confirm": "a-brand-new-pass"})
    assert response.headers["Location"] == "/login/code"
    assert client.get("/").status_code == 302
    assert code_step(client, totp.now()).status_code == 303
    assert client.get("/").status_code == 200


def test_staff_and_ops_are_required_by_default():
    import config

    assert config.defaults("/tmp")["TWO_FACTOR_REQUIRED_ROLES"] == ("staff", "ops")


def test_an_operator_resets_a_staff_members_two_factor_at_the_command_line(runner):
    staff = make_user(Role.STAFF)
    enrol(staff)
    result = runner.invoke(args=["users", "reset-two-factor", staff.email.upper()])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not two_factor.is_enabled(db.session.get(User, staff.id))
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "two_factor.reset"))
    assert event.actor_id is None and event.object_id == str(staff.id)
    again = runner.invoke(args=["users", "reset-two-factor", staff.email])
    assert again.exit_code != 0 and "has no two-factor login to reset" in again.output


def test_the_same_code_sent_twice_at_once_logs_in_once(app):
    user = make_user(Role.RESELLER)
    totp, codes = enrol(user)
    results: list[str | None] = []
    barrier = threading.Barrier(4)

    def submit(code: str) -> None:
        with app.app_context():
            same_user = db.session.get(User, user.id)
            barrier.wait(10)
            results.append(two_factor.verify(same_user, code))
            db.session.commit()

    threads = [threading.Thread(target=submit, args=(code,)) for code in (totp.now(), totp.now(), codes[0], codes[0])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(map(str, results)) == ["None", "None", "recovery", "totp"]


def test_the_code_step_goes_on_to_the_page_asked_for(client):
    user = make_user(Role.RESELLER)
    totp, _codes = enrol(user)
    client.post("/login", data={"email": user.email, "password": PASSWORD, "next": "/preferences"})
    assert code_step(client, totp.now()).headers["Location"] == "/preferences"
