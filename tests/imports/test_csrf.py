"""With CSRF on: the hidden token in the list's forms is what makes cancel work."""
import re
from datetime import timedelta

import pytest

from models import Import, ImportStatus, db, utcnow
from tests.provisioning import cloud_setup, schedule


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_ENABLED": True}


def test_cancel_needs_the_forms_token(client, login):
    user, customer, product = cloud_setup()
    imp = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=1))
    login(user)
    page = client.get("/imports/").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    assert client.post(f"/imports/{imp.id}/cancel").status_code == 400  # CSRFProtect refuses it
    db.session.expire_all()
    assert db.session.get(Import, imp.id).status is ImportStatus.PENDING

    client.post(f"/imports/{imp.id}/cancel", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Import, imp.id).status is ImportStatus.CANCELLED
