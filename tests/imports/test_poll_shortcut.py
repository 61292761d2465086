"""The unchanged poll answered before the app's other hooks (blueprints/imports/poll.py): two small statements,
and only for a session the guards would let through; anything else goes through the hooks as before."""
import time

import pytest

from models import Role, db
from tests.factories import make_user
from tests.imports.test_polling import etag_of, statements_during
from tests.provisioning import cloud_setup, due_now
from tests.support import HX


@pytest.fixture
def polling(client, login):
    """A reseller user logged in, with a running import open on My imports: (user, the poll's headers)."""
    user, customer, product = cloud_setup()
    login(user)
    imp = due_now(user, customer, product)
    version = etag_of(client.get(f"/imports/?open={imp.id}").text)
    return user, f"/imports/?open={imp.id}", {**HX, "If-None-Match": f'"{version}"'}


def test_an_unchanged_poll_costs_two_small_statements(client, polling):
    _user, url, headers = polling
    assert client.get(url, headers=headers).status_code == 304
    statements = statements_during(lambda: client.get(url, headers=headers))
    assert len(statements) == 2  # the session's user as a few columns, then the version
    assert "cart" not in statements[0] and "import" in statements[1]


@pytest.mark.parametrize("change", ["disabled", "token rotated"])
def test_a_session_the_loader_would_refuse_is_sent_to_log_in(client, polling, change):
    user, url, headers = polling
    if change == "disabled":
        user.enabled = False
    else:
        user.end_sessions()
    db.session.commit()
    poll = client.get(url, headers=headers)
    assert poll.status_code == 401 and poll.headers["HX-Redirect"].startswith("/login")


def test_a_user_who_must_set_up_two_factor_is_sent_to_do_it(client, polling):
    user, url, headers = polling
    user.reseller.two_factor_required = True
    db.session.commit()
    poll = client.get(url, headers=headers)
    assert poll.status_code == 403 and poll.headers["HX-Redirect"] == "/account/two-factor"


def test_an_idle_session_ends_instead_of_answering_304(client, polling, app):
    _user, url, headers = polling
    with client.session_transaction() as sess:
        sess["_seen"] = int(time.time()) - app.config["SESSION_IDLE_MINUTES"] * 60 - 1
    poll = client.get(url, headers=headers)
    assert poll.status_code == 401


def test_the_session_clock_still_moves_while_polling(client, polling):
    _user, url, headers = polling
    with client.session_transaction() as sess:
        sess["_seen"] = seen = int(time.time()) - 60
    poll = client.get(url, headers=headers)
    assert poll.status_code == 304 and "session=" in poll.headers.get("Set-Cookie", "")
    with client.session_transaction() as sess:
        assert sess["_seen"] > seen


def test_another_language_is_another_version(client, polling):
    user, url, headers = polling
    user.locale = "es"
    db.session.commit()
    poll = client.get(url, headers=headers)
    assert poll.status_code == 200 and "Páginas" in poll.text


def test_staff_are_refused_as_before(client, login):
    login(make_user(role=Role.STAFF))
    assert client.get("/imports/", headers={**HX, "If-None-Match": '"x"'}).status_code == 403
