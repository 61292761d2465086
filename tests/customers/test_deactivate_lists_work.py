"""Deactivating a customer names its pending scheduled work in the question (issue 23)."""
from datetime import timedelta

from models import utcnow
from tests.provisioning import cloud_setup, schedule


def test_the_deactivate_question_lists_the_pending_scheduled_provisioning(client, login):
    user, customer, product = cloud_setup()
    imp = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=3))
    login(user)
    page = client.get(f"/customers/{customer.id}").text
    assert f"Its 1 pending scheduled provisioning will fail: {imp.name}." in page


def test_without_pending_work_the_question_is_the_plain_one(client, login):
    user, customer, _product = cloud_setup()
    login(user)
    page = client.get(f"/customers/{customer.id}").text
    assert "No new services or licenses can be given to an inactive customer.&#34;" not in page
    assert "pending scheduled provisioning" not in page and "Deactivate " in page
