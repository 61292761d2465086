"""/ops/metrics: the health figures in the Prometheus text exposition format, for the ops role."""
import re
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families

from models import Import, ImportSource, Role, db, utcnow
from queues import LAST_SWEEP_KEY, get_redis
from services.mail import outbox
from tests.factories import make_user

SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? -?[0-9.e+-]+$')


def metrics(client) -> dict[str, float]:
    response = client.get("/ops/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    values = {}
    for line in response.get_data(as_text=True).splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) canal_\w+ .+$", line), line
            continue
        assert SAMPLE.match(line), line
        name, value = line.rsplit(" ", 1)
        values[name] = float(value)
    return values


def test_metrics_expose_the_health_figures(client, login):
    login(make_user(Role.OPS))
    outbox.queue_email("ana@example.com", "ops_test", sent_at="now")
    db.session.commit()
    get_redis().set(LAST_SWEEP_KEY, (utcnow() - timedelta(seconds=30)).isoformat())
    values = metrics(client)
    assert values['canal_up{component="database"}'] == 1 and values['canal_up{component="redis"}'] == 1
    assert values["canal_healthy"] == 1
    assert values['canal_queue_jobs{queue="mail"}'] == 1
    assert {'canal_queue_jobs{queue="default"}', 'canal_queue_jobs{queue="maintenance"}'} <= set(values)
    assert values["canal_outbox_backlog"] == 1 and values["canal_outbox_oldest_age_seconds"] >= 0
    assert values["canal_workers"] == 0 and values["canal_scheduler_alive"] == 0
    assert 29 <= values["canal_last_sweep_age_seconds"] < 60
    assert abs(values["canal_last_sweep_timestamp_seconds"] - (utcnow().timestamp() - 30)) < 5


def test_oldest_due_pending_import_age(client, login):
    user = login(make_user(Role.RESELLER))
    ops = make_user(Role.OPS)
    for minutes in (-10, -3, 30):  # two are due (10 and 3 minutes late), one is in the future
        db.session.add(Import(reseller_id=user.reseller_id, created_by_id=user.id, source=ImportSource.SCHEDULED,
                              name="Scheduled", run_at=utcnow() + timedelta(minutes=minutes)))
    login(ops)
    values = metrics(client)
    assert values["canal_imports_due"] == 2
    assert 600 <= values["canal_import_oldest_due_age_seconds"] < 660
    assert client.get("/ops/health").get_json()["imports_due"] == 2


def test_redis_down_is_a_zero_not_an_error(app, client, login):
    login(make_user(Role.OPS))
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    app.extensions.pop("canal_redis", None)
    values = metrics(client)
    assert values['canal_up{component="redis"}'] == 0 and values["canal_healthy"] == 0
    assert values['canal_up{component="database"}'] == 1
    assert not any(name.startswith(("canal_queue_jobs", "canal_workers", "canal_last_sweep")) for name in values)


def test_metrics_are_for_ops_only(client, login):
    assert client.get("/ops/metrics").status_code == 302  # to the login page
    login(make_user(Role.STAFF))
    assert client.get("/ops/metrics").status_code == 403


def test_prometheus_parses_every_family_as_a_gauge(client, login):
    login(make_user(Role.OPS))
    outbox.queue_email("ana@example.com", "ops_test", sent_at="now")
    db.session.commit()
    get_redis().set(LAST_SWEEP_KEY, utcnow().isoformat())
    text = client.get("/ops/metrics").get_data(as_text=True)
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert set(families) == {
        "canal_up", "canal_healthy", "canal_queue_jobs", "canal_outbox_backlog", "canal_outbox_oldest_age_seconds",
        "canal_imports_due", "canal_import_oldest_due_age_seconds", "canal_workers", "canal_scheduler_alive",
        "canal_last_sweep_timestamp_seconds", "canal_last_sweep_age_seconds"}
    assert {family.type for family in families.values()} == {"gauge"}
    assert {(s.labels["component"], s.value) for s in families["canal_up"].samples} == {("database", 1), ("redis", 1)}
    assert {s.labels["queue"]: s.value for s in families["canal_queue_jobs"].samples}["mail"] == 1
    assert [s.value for s in families["canal_outbox_backlog"].samples] == [1]
    assert families["canal_imports_due"].documentation == "PENDING imports whose run time has passed."
    assert 0 <= families["canal_last_sweep_age_seconds"].samples[0].value < 5
