"""The New service wizard's guidance (issue 23): every error at once, a prerequisite offered up front, no
provisioning offered while the pre-flight fails (scheduling only on purpose), and "Start over"."""
from datetime import timedelta

import sqlalchemy as sa

from jobs.provisioning import run_due_imports
from models import Import, ServiceDraft, db, utcnow
from tests.provisioning import CONFIG, configured, due_now, make_cloud_product, url, wizard_setup


def test_the_configuration_shows_every_error_at_once(client, login):
    _, customer, product = wizard_setup(login)
    client.post(url(customer, "select"), data={"product_id": product.id})
    client.post(url(customer, "terms"), data={"accept": "y"})
    bad = {**CONFIG, "quantity": "many", "tenant_id": "1234", "partner_id": "MPN", "name": ""}
    page = client.post(url(customer, "configure"), data=bad).text
    for message in ("Enter a whole number.", "GUID", "number of up to 10 digits", "Enter a subscription name"):
        assert message in page, message


def _needing_a_tenant(user, product):
    tenant = make_cloud_product(accepted_by=user.reseller, name="Microsoft Organization tenant", sku="MS-TENANT")
    product.prerequisite = tenant
    db.session.commit()
    return tenant


def test_a_missing_prerequisite_is_offered_up_front(client, login):
    user, customer, product = wizard_setup(login)
    tenant = _needing_a_tenant(user, product)
    page = client.get(url(customer, "select")).text
    assert "does not have Microsoft Organization tenant yet" in page
    assert f'name="prerequisite" value="{tenant.id}"' in page
    response = client.post(url(customer, "select"), data={"prerequisite": tenant.id})
    assert response.status_code == 303
    assert db.session.scalar(sa.select(ServiceDraft)).product_id == tenant.id

    due_now(user, customer, tenant)
    assert run_due_imports() == 1  # the customer has the tenant now
    assert "does not have Microsoft Organization tenant yet" not in client.get(url(customer, "select")).text


def test_nothing_is_provisioned_now_while_the_preflight_fails_and_scheduling_asks(client, login):
    user, customer, product = configured(client, wizard_setup(login))
    tenant = _needing_a_tenant(user, product)
    review = client.get(url(customer, "review")).text
    assert "Provision now" not in review and "Schedule anyway" in review
    assert f'name="prerequisite" value="{tenant.id}"' in review  # "Provision … first"

    assert client.post(url(customer, "review"), data={"now": "Provision now"}).status_code == 422
    run_at = (utcnow() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url(customer, "review"), data={"run_at": run_at, "schedule": "Schedule provisioning"})
    assert response.status_code == 422 and "Tick this to schedule" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Import)) == 0
    response = client.post(url(customer, "review"), data={"run_at": run_at, "override": "y",
                                                          "schedule": "Schedule provisioning"})
    assert response.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Import)) == 1


def test_a_resumed_draft_offers_to_start_over(client, login):
    _, customer, product = configured(client, wizard_setup(login))
    response = client.get(url(customer))
    assert response.headers["Location"].endswith("/review")
    review = client.get(url(customer, "review")).text
    assert "You are continuing the" in review and "Start over" in review
    response = client.post(url(customer, "start-over"))
    assert response.status_code == 303 and response.headers["Location"].endswith("/select")
    assert db.session.scalar(sa.select(ServiceDraft)) is None
    assert "Start over" not in client.get(url(customer, "select")).text
