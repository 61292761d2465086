"""GET never changes state: every GET route in the URL map, for every role, writes nothing."""
import re

import pytest

from app import create_app
from models import AuditEvent, Role, db
from tests.factories import make_user
from tests.support import HX


def sample(match: re.Match) -> str:
    converter, name = match.groups()
    if name == "instance_number":
        return "0"  # rq-dashboard's Redis instance: there is one
    return "1" if converter == "int" else "x"


def get_urls() -> list[str]:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "rq_dashboard.requeue_all":  # see test_csrf
            urls.append(re.sub(r"<(?:([^:<>]+):)?([^<>]+)>", sample, rule.rule))
    return urls


GET_URLS = get_urls()


@pytest.fixture
def app_config(app_config):
    # Answer an error as a 500 page instead of raising in the test: this module is about writes only
    # (rq-dashboard raises on an unknown job id).
    return {**app_config, "PROPAGATE_EXCEPTIONS": False}


@pytest.mark.parametrize("role", [None, *Role])
def test_no_get_writes_to_the_database(client, login, db_writes, role):
    if role is not None:
        login(make_user(role))
    count = db.select(db.func.count()).select_from(AuditEvent)
    before = db.session.scalar(count)
    db_writes.statements.clear()
    for url in GET_URLS:
        for headers in ({}, HX):
            client.get(url, headers=headers).close()
            assert db_writes.statements == [], (url, headers, db_writes.statements)
    assert db.session.scalar(count) == before
