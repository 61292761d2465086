"""Login throttling per IP and per account and address, counted in the real Redis; 429 with a page that says
how long to wait (in the viewer's language) and Retry-After."""
import pyotp
import pytest

from extensions import limiter
from models import AuditEvent, Role, db
from queues import get_redis
from services.accounts import two_factor
from tests.factories import PASSWORD, make_user
from tests.support import HX

PER_IP, PER_ACCOUNT = 6, 3


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_LIMIT_PER_IP": f"{PER_IP} per minute",
            "LOGIN_LIMIT_PER_ACCOUNT": f"{PER_ACCOUNT} per minute"}


def post_login(client, email, password="wrong password", ip="10.0.0.1", headers=None):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": ip}, headers=headers or {})


def post_json_login(client, email, password="wrong password", ip="10.0.0.1"):
    return client.post("/login", json={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip})


def assert_throttled(response):
    assert response.status_code == 429
    assert "Too many attempts. Try again in 1 minute." in response.get_data(as_text=True)
    assert 0 < int(response.headers["Retry-After"]) <= 60


def logins_of(user) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.actor_id == user.id, AuditEvent.action == "login"))


def test_an_account_is_throttled_from_the_guessing_address_only(client):
    victim, other = make_user(Role.RESELLER), make_user(Role.RESELLER)
    db.session.commit()
    for _ in range(PER_ACCOUNT):
        assert post_login(client, victim.email, ip="10.0.1.1").status_code == 422
    assert_throttled(post_login(client, victim.email.upper(), PASSWORD, ip="10.0.1.1"))  # same account, same place
    assert_throttled(post_login(client, victim.email, PASSWORD, ip="10.0.1.1", headers=HX))
    assert logins_of(victim) == 0
    assert post_login(client, other.email, PASSWORD, ip="10.0.1.1").status_code == 303  # another account
    client.post("/logout")
    assert post_login(client, victim.email, PASSWORD, ip="10.0.2.1").status_code == 303  # the real user, elsewhere
    assert logins_of(victim) == 1


def test_a_json_body_counts_against_the_account_like_the_form(client):
    user = make_user(Role.RESELLER)
    db.session.commit()
    for n in range(PER_ACCOUNT):
        response = post_json_login(client, user.email.upper() if n % 2 else user.email)
        assert response.status_code == 422 and "Invalid e-mail or password." in response.get_data(as_text=True)
    assert_throttled(post_json_login(client, user.email, PASSWORD))
    assert_throttled(post_login(client, user.email, PASSWORD))
    assert logins_of(user) == 0


def test_successful_logins_do_not_use_up_the_limit(make_app):
    client = make_app(LOGIN_LIMIT_PER_IP="100 per minute").test_client()
    user = make_user(Role.RESELLER)
    db.session.commit()
    assert post_login(client, user.email).status_code == 422  # a typo first
    for _ in range(PER_ACCOUNT + 2):
        assert post_login(client, user.email, PASSWORD).status_code == 303
        client.post("/logout")
    for _ in range(PER_ACCOUNT):  # the success forgave the typo: a full allowance of mistakes is left
        assert post_login(client, user.email).status_code == 422
    assert_throttled(post_login(client, user.email, PASSWORD))


def test_many_places_guessing_one_account_leave_only_two_factor_users_a_way_in(make_app):
    client = make_app(LOGIN_LIMIT_PER_ACCOUNT_ANYWHERE="4 per minute").test_client()
    plain, guarded = make_user(Role.RESELLER), make_user(Role.RESELLER)
    two_factor.enable(guarded, secret := two_factor.new_secret(), pyotp.TOTP(secret).now())
    db.session.commit()
    for user in (plain, guarded):
        for n in range(4):  # one guess each from four places: no pair limit is reached
            assert post_login(client, user.email, ip=f"10.0.5.{n}").status_code == 422
    # A password alone no longer logs in, right or wrong (the answer tells a guesser nothing)...
    assert_throttled(post_login(client, plain.email, PASSWORD, ip="10.0.6.1"))
    assert_throttled(post_login(client, plain.email, ip="10.0.6.1"))
    # ...but whoever also has the second factor still gets to the code step.
    response = post_login(client, guarded.email, PASSWORD, ip="10.0.6.1")
    assert response.status_code == 303 and response.headers["Location"] == "/login/code"


def test_the_wait_is_said_in_minutes_in_the_viewers_language(make_app):
    client = make_app(LOGIN_LIMIT_PER_ACCOUNT="2 per 15 minutes").test_client()
    user = make_user(Role.RESELLER)
    db.session.commit()
    for _ in range(2):
        post_login(client, user.email)
    english = post_login(client, user.email, PASSWORD)
    assert english.status_code == 429 and 840 < int(english.headers["Retry-After"]) <= 900
    assert "Too many attempts. Try again in 15 minutes." in english.get_data(as_text=True)
    spanish = post_login(client, user.email, PASSWORD, headers={"Accept-Language": "es"})
    assert "Demasiados intentos. Intente de nuevo en 15 minutos." in spanish.get_data(as_text=True)


def test_an_ip_is_throttled_for_every_account_and_other_ips_are_not(client):
    user = make_user(Role.STAFF)
    db.session.commit()
    for n in range(PER_IP):
        assert post_login(client, f"guess{n}@example.com", ip="10.0.3.1").status_code == 422
    assert_throttled(post_login(client, user.email, PASSWORD, ip="10.0.3.1"))
    assert post_login(client, user.email, PASSWORD, ip="10.0.3.2").status_code == 303


def test_the_counters_live_in_redis(client, app):
    post_login(client, "someone@example.com")
    keys = [k.decode() for k in get_redis().keys("*canal-limits*")]
    assert len(keys) == 3, keys  # one per IP, one per account and IP, one per account from anywhere
    assert not any("someone@example.com" in k for k in keys)  # the account is hashed
    get_redis().flushdb()  # what a Redis restart does: the counts start over
    make_user(Role.OPS, email="ops1@example.com")
    db.session.commit()
    assert post_login(client, "ops1@example.com", PASSWORD).status_code == 303


def test_without_redis_logins_work_and_are_throttled_in_memory(make_app):
    dead = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    client = dead.test_client()
    try:
        user = make_user(Role.STAFF)
        db.session.commit()
        assert post_login(client, user.email, PASSWORD).status_code == 303
        for _ in range(PER_ACCOUNT):
            assert post_login(client, user.email).status_code == 422
        assert_throttled(post_login(client, user.email))
    finally:
        limiter._storage_dead = False  # the extension is shared: give the next app its Redis back


def test_other_pages_are_not_limited(client, login):
    login(make_user(Role.STAFF))
    for _ in range(PER_IP + 2):
        assert client.get("/", environ_base={"REMOTE_ADDR": "10.0.4.1"}).status_code == 200


def test_forwarded_for_counts_only_behind_a_trusted_proxy(make_app):
    spoofed = {"X-Forwarded-For": "203.0.113.9"}
    direct = make_app().test_client()
    for n in range(PER_IP):
        post_login(direct, f"a{n}@example.com", headers={"X-Forwarded-For": f"203.0.113.{n}"})
    assert post_login(direct, "b@example.com", headers=spoofed).status_code == 429  # a header is no escape
    get_redis().flushdb()
    proxied = make_app(PROXY_COUNT=1).test_client()
    for n in range(PER_IP):
        post_login(proxied, f"c{n}@example.com", headers={"X-Forwarded-For": "198.51.100.1"})
    assert post_login(proxied, "d@example.com", headers={"X-Forwarded-For": "198.51.100.1"}).status_code == 429
    assert post_login(proxied, "e@example.com", headers=spoofed).status_code == 422  # another client


def test_guessing_the_current_password_on_the_change_page_is_throttled_too(client, app, login):
    login(make_user(Role.RESELLER))
    data = {"current_password": "guess", "new_password": "a new passphrase", "confirm_password": "a new passphrase"}
    for _ in range(PER_ACCOUNT):
        assert client.post("/password", data=data).status_code == 422
    assert_throttled(client.post("/password", data={**data, "current_password": PASSWORD}))
    other = app.test_client()
    with other.session_transaction() as sess:
        sess["_user_id"] = make_user(Role.RESELLER).get_id()
    db.session.commit()
    assert other.post("/password", data=data).status_code == 422  # another account: not throttled
