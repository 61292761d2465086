from models import Role
from tests.factories import make_user


def test_health_reports_every_part(client):
    response = client.get("/ops/health")
    assert response.status_code == 200
    report = response.get_json()
    assert report["status"] == "ok"
    assert report["database"] == "ok" and report["redis"] == "ok"
    assert set(report["queues"]) == {"default", "mail", "maintenance"}
    assert {"workers", "scheduler_alive", "outbox_backlog", "outbox_oldest_age_seconds", "last_sweep"} <= set(report)


def test_health_is_503_when_redis_is_down(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    app.extensions.pop("canal_redis", None)
    response = client.get("/ops/health")
    assert response.status_code == 503
    report = response.get_json()
    assert report["status"] == "fail" and report["redis"].startswith("error")
    assert report["database"] == "ok"


def test_health_for_logged_in_non_ops_is_403(client, login):
    login(make_user(Role.RESELLER))
    assert client.get("/ops/health").status_code == 403


def test_mail_viewer_shows_what_the_catcher_received(app, client, login, tmp_path):
    from devstack import mailbox

    app.config["MAIL_CATCHER_DIR"] = str(tmp_path)
    name = mailbox.store(tmp_path, b"From: a@x.test\r\nTo: b@x.test\r\nSubject: <Hola>\r\n\r\nCuerpo\r\n")
    login(make_user(Role.OPS))
    listing = client.get("/ops/mail").get_data(as_text=True)
    assert "&lt;Hola&gt;" in listing  # escaped
    assert "Cuerpo" in client.get(f"/ops/mail/{name}").get_data(as_text=True)
    assert client.get("/ops/mail/..%2Fsecret_key").status_code == 404


def test_mail_viewer_is_off_with_a_real_mail_server(client, login):
    login(make_user(Role.OPS))
    assert client.get("/ops/mail").status_code == 404  # tests configure MAIL_CATCHER_DIR=None
