from models import AuditEvent, Role, db
from tests.factories import PASSWORD, make_user
from tests.support import HX


def post_login(client, email, password, next_url=None):
    data = {"email": email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)


def test_login_page_has_the_labelled_form(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'for="email">Email' in html and 'for="password">Password' in html
    assert 'value="Log in"' in html


def test_login_then_home_shows_the_reseller_navigation(client, app):
    user = make_user(Role.RESELLER)
    db.session.commit()
    response = post_login(client, user.email, PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    html = client.get("/").get_data(as_text=True)
    assert user.reseller.name in html
    assert "Log out" in html
    assert db.session.scalar(db.select(AuditEvent.action).where(AuditEvent.actor_id == user.id)) == "login"


def test_home_navigation_depends_on_the_role(client, login):
    login(make_user(Role.STAFF))
    html = client.get("/").get_data(as_text=True)
    assert ">Admin</a>" in html and ">Ops</a>" not in html


def test_email_is_case_insensitive(client):
    make_user(Role.OPS, email="mixed@example.com")
    db.session.commit()
    assert post_login(client, "MIXED@Example.com", PASSWORD).status_code == 303


def test_wrong_email_and_wrong_password_give_the_same_message(client):
    user = make_user(Role.STAFF)
    db.session.commit()
    wrong_password = post_login(client, user.email, "nope")
    wrong_email = post_login(client, "nobody@example.com", PASSWORD)
    assert wrong_password.status_code == wrong_email.status_code == 422
    for response in (wrong_password, wrong_email):
        html = response.get_data(as_text=True)
        assert "Invalid e-mail or password." in html
    assert user.email in wrong_password.get_data(as_text=True)  # what was typed is kept
    assert PASSWORD not in wrong_email.get_data(as_text=True)   # but never the password


def test_empty_fields_are_flagged_next_to_the_field(client):
    html = post_login(client, "", "").get_data(as_text=True)
    assert 'id="email-error"' in html and 'id="password-error"' in html


def test_disabled_user_cannot_log_in(client):
    user = make_user(Role.STAFF, enabled=False)
    db.session.commit()
    assert post_login(client, user.email, PASSWORD).status_code == 422


def test_next_is_followed_when_it_is_a_local_path(client):
    user = make_user(Role.STAFF)
    db.session.commit()
    response = post_login(client, user.email, PASSWORD, next_url="/admin/?tab=1")
    assert response.headers["Location"] == "/admin/?tab=1"


def test_next_never_leaves_the_site(client):
    user = make_user(Role.STAFF)
    db.session.commit()
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)",
                 "/%0d%0aSet-Cookie:x=1", "\\\\evil.example"):
        client.post("/logout")
        response = post_login(client, user.email, PASSWORD, next_url=evil)
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//") and "evil" not in location, evil


def test_anonymous_user_is_sent_to_login_with_next(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/admin/"


def test_anonymous_htmx_request_gets_401_and_a_redirect_header(client):
    response = client.get("/admin/", headers=HX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_logout_is_a_post(client, login):
    login(make_user(Role.OPS))
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 303
    assert client.get("/").status_code == 302


def test_ending_sessions_logs_out_everywhere_at_once(client, login):
    user = login(make_user(Role.STAFF))
    assert client.get("/admin/").status_code == 200
    user.end_sessions()  # what a password change or a disable does
    db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_disabling_a_user_ends_the_session(client, login):
    user = login(make_user(Role.STAFF))
    user.enabled = False
    db.session.commit()
    assert client.get("/admin/").status_code == 302
    assert client.get("/login").status_code == 200  # the login form, not a redirect home


def test_pages_vary_on_hx_request(client):
    assert "HX-Request" in client.get("/login").headers["Vary"]
