"""Login throttling per IP and per account, counted in the real Redis; 429 with a page and Retry-After."""
import pytest

from extensions import limiter
from jobs import get_redis
from models import AuditEvent, Role, db
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


def assert_throttled(response):
    assert response.status_code == 429
    assert "Too many attempts. Please wait a moment and try again." in response.get_data(as_text=True)
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_an_account_is_throttled_from_any_ip_and_others_are_not(client):
    victim, other = make_user(Role.RESELLER), make_user(Role.RESELLER)
    db.session.commit()
    for n in range(PER_ACCOUNT):
        assert post_login(client, victim.email, ip=f"10.0.1.{n}").status_code == 422
    assert_throttled(post_login(client, victim.email.upper(), PASSWORD, ip="10.0.2.1"))  # same account
    assert_throttled(post_login(client, victim.email, PASSWORD, ip="10.0.2.2", headers=HX))
    assert post_login(client, other.email, PASSWORD, ip="10.0.1.0").status_code == 303
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.actor_id == victim.id)) == 0  # never logged in


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
    assert len(keys) == 2, keys  # one per IP, one per account
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
        for _ in range(PER_ACCOUNT - 1):
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
