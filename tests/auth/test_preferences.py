from models import Role, db
from tests.factories import PASSWORD, make_user


def test_preferences_save_language_and_time_zone(client, login):
    user = login(make_user(Role.RESELLER))
    response = client.post("/preferences", data={"locale": "es", "timezone": "America/Montevideo"})
    assert response.status_code == 303
    db.session.refresh(user)
    assert (user.locale, user.timezone) == ("es", "America/Montevideo")
    assert '<html lang="es">' in client.get("/").get_data(as_text=True)


def test_an_unknown_time_zone_is_refused_next_to_the_field(client, login):
    user = login(make_user(Role.RESELLER, timezone="UTC"))
    response = client.post("/preferences", data={"locale": "en", "timezone": "Mars/Olympus"})
    assert response.status_code == 422
    assert 'id="timezone-error"' in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.timezone == "UTC"


def test_first_login_takes_the_browser_time_zone_and_the_language_picked_before(client):
    user = make_user(Role.STAFF)
    db.session.commit()
    client.post("/language/es", data={"next": "/login"})
    assert '<html lang="es">' in client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": user.email, "password": PASSWORD, "tz": "Europe/Madrid"})
    db.session.refresh(user)
    assert (user.timezone, user.locale) == ("Europe/Madrid", "es")


def test_a_later_login_keeps_the_saved_time_zone(client):
    user = make_user(Role.STAFF, timezone="America/Montevideo")
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": PASSWORD, "tz": "Asia/Tokyo"})
    db.session.refresh(user)
    assert user.timezone == "America/Montevideo"


def test_the_language_switch_only_returns_to_local_pages(client):
    response = client.post("/language/es", data={"next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
