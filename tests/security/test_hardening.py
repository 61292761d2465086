"""Issue 18, finding 10: Permissions-Policy, NUL in JSON and multipart bodies, trusted hosts in production,
token-free access logs, and files of the dev stack that only their owner may read."""
import io
import json

from models import Customer, db
from tests.factories import make_user

CUSTOMER = {"code": "C-1", "name": "Acme", "email": "it@acme.example", "language": "en"}


def test_every_response_denies_devices_and_sensors_with_a_permissions_policy(client):
    for url in ("/login", "/no-such-page"):
        policy = client.get(url).headers["Permissions-Policy"]
        features = dict(item.strip().split("=") for item in policy.split(","))
        assert {"camera", "microphone", "geolocation", "payment", "usb"} <= set(features), url
        assert set(features.values()) == {"()"}, url


def test_a_nul_character_in_a_json_body_is_refused_with_400_and_nothing_written(client, login):
    """Flask-WTF fills forms from JSON bodies: PostgreSQL refused the NUL with a 500 and SQLite stored it."""
    login(make_user())
    for body in ({**CUSTOMER, "name": "Ac\x00me"}, {**CUSTOMER, "co\x00de": "x"}):
        response = client.post("/customers/", data=json.dumps(body), content_type="application/json")
        assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Customer.id))) == 0
    control = client.post("/customers/", data=json.dumps(CUSTOMER), content_type="application/json")
    assert control.status_code == 303
    assert db.session.scalar(db.select(Customer.name)) == "Acme"


def test_a_nul_character_in_a_multipart_body_is_refused_with_400(client, login):
    login(make_user())
    response = client.post("/customers/", data={**CUSTOMER, "name": "Ac\x00me"}, content_type="multipart/form-data")
    assert response.status_code == 400
    upload = client.post("/imports/upload", data={"file": (io.BytesIO(b"a,b\n"), "acc\x00ounts.csv")},
                         content_type="multipart/form-data")
    assert upload.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Customer.id))) == 0
    control = client.post("/customers/", data=CUSTOMER, content_type="multipart/form-data")
    assert control.status_code == 303

