"""The New service wizard over HTTP: one URL per step, server-side validation, tenant isolation."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import Import, ImportStatus, Role, ServiceDraft, db, utcnow
from queues import get_queue
from services.provisioning import provisioning
from tests.factories import make_customer, make_user
from tests.provisioning import CONFIG, TENANT, configured, make_cloud_product, url, wizard_setup
from tests.support import HX, HX_BOOSTED


def when(delta: timedelta) -> str:
    return (utcnow() + delta).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def setup(login):
    return wizard_setup(login)


def test_the_whole_wizard_schedules_an_import(client, setup):
    user, customer, product = setup
    assert client.get(url(customer)).headers["Location"].endswith("/select")
    page = client.get(url(customer, "select")).text
    assert product.name in page and product.vendor.name in page and product.category.name in page
    response = client.post(url(customer, "select"), data={"product_id": product.id})
    assert response.status_code == 303 and response.headers["Location"].endswith("/terms")
    page = client.get(url(customer, "terms")).text
    assert "The vendor&#39;s terms." in page and "version 1" in page
    assert client.post(url(customer, "terms"), data={}).status_code == 422  # not ticked
    response = client.post(url(customer, "terms"), data={"accept": "y"})
    assert response.headers["Location"].endswith("/configure")
    assert client.post(url(customer, "configure"), data=CONFIG).headers["Location"].endswith("/review")

    review = client.get(url(customer, "review")).text
    for expected in ("$15.00", "$75.00", "$900.00", "7 day cancellation window", "Pre-flight",
                     "Provisioning date and time", "Provision now", "UTC and your time zone"):
        assert expected in review, expected
    assert "Fail" not in review and "$12.50" not in review  # the price is the reseller's cost; not the distributor's
    run_at = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)
    response = client.post(url(customer, "review"), data={"run_at": run_at.strftime("%Y-%m-%dT%H:%M"),
                                                          "schedule": "Schedule provisioning"})
    assert response.status_code == 303 and response.headers["Location"] == "/imports/"
    imp = db.session.scalar(sa.select(Import))
    assert (imp.status, imp.run_at, imp.import_type) == (ImportStatus.PENDING, run_at, product.sku)
    assert imp.items[0].config["tenant_id"] == TENANT and imp.items[0].quantity == 5
    assert db.session.scalar(sa.select(ServiceDraft)) is None  # the draft is used up
    assert client.get(url(customer)).headers["Location"].endswith("/select")


def test_provision_now_enqueues_the_run_at_once(client, setup):
    configured(client, setup)
    _, customer, _ = setup
    response = client.post(url(customer, "review"), data={"run_at": "", "now": "Provision now"})
    assert response.status_code == 303
    imp = db.session.scalar(sa.select(Import))
    assert get_queue("default").job_ids == [provisioning.run_job_id(imp.id)]


def test_the_terms_step_is_skipped_once_accepted_by_anyone_of_the_reseller(client, setup, login):
    user, customer, product = configured(client, setup)
    colleague = login(make_user(Role.RESELLER, reseller=user.reseller))
    response = client.post(url(customer, "select"), data={"product_id": product.id})
    assert response.headers["Location"].endswith("/configure")
    assert client.get(url(customer, "terms")).headers["Location"].endswith("/configure")
    product.terms_version = 2  # new terms: asked again
    db.session.commit()
    assert client.get(url(customer, "configure")).headers["Location"].endswith("/terms")
    assert colleague.id != user.id


def test_steps_cannot_be_skipped(client, setup):
    _, customer, _ = setup
    for step in ("terms", "configure", "review"):
        assert client.get(url(customer, step)).headers["Location"].endswith("/select")


@pytest.mark.parametrize("field,value,message", [
    ("quantity", "0", "Enter a quantity from 1 to 300."),
    ("quantity", "301", "Enter a quantity from 1 to 300."),
    ("quantity", "many", "Enter a whole number."),
    ("quantity", "²", "Enter a whole number."),
    ("quantity", "٣", "Enter a whole number."),
    ("quantity", "99999999999999999999999", "Enter a quantity from 1 to 300."),
    ("billing_type", "P3Y-annual", "Not a valid choice."),
    ("tenant_id", "1234", "GUID"),
    ("tenant_id", "", "GUID"),
    ("partner_id", "MPN-12", "number of up to 10 digits"),
    ("billing_start", "2020-01-01", "from today to a year from now"),
    ("billing_start", "31/12/2026", "Not a valid date value."),
    ("name", "", "Enter a subscription name"),
])
def test_bad_configuration_comes_back_with_the_message_and_what_was_typed(client, setup, field, value, message):
    _, customer, product = setup
    client.post(url(customer, "select"), data={"product_id": product.id})
    client.post(url(customer, "terms"), data={"accept": "y"})
    response = client.post(url(customer, "configure"), data={**CONFIG, field: value})
    assert response.status_code == 422
    assert message in response.text
    if value and field != "billing_type":  # a select cannot show a value it does not offer
        assert f'value="{value}"' in response.text or f'"{value}"' in response.text
    assert "M365 for Acme" in response.text or field == "name"


@pytest.mark.parametrize("value,message", [
    ("", "Choose a date and time."),
    ("tomorrow at 9", "Enter a date and time such as"),
    ("2026-13-45T99:99", "Enter a date and time such as"),
    (-timedelta(minutes=5), "at least one minute from now"),  # from now: made in the test, so that every
    (timedelta(seconds=20), "at least one minute from now"),  # xdist worker collects the same test ids
    (timedelta(days=367), "at most a year from now"),
])
def test_bad_schedule_times_are_refused_and_nothing_is_written(client, setup, value, message):
    value = when(value) if isinstance(value, timedelta) else value
    configured(client, setup)
    _, customer, _ = setup
    response = client.post(url(customer, "review"), data={"run_at": value, "schedule": "Schedule provisioning"})
    assert response.status_code == 422
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Import)) == 0


def test_preflight_on_the_review_shows_what_would_fail(client, setup):
    user, customer, product = configured(client, setup)
    tenant = make_cloud_product(accepted_by=user.reseller, name="Microsoft Organization tenant")
    product.prerequisite = tenant
    db.session.commit()
    review = client.get(url(customer, "review")).text
    assert "Fail" in review and "needs an active Microsoft Organization tenant subscription" in review


def test_select_search_answers_a_fragment_to_htmx(client, setup):
    _, customer, product = setup
    fragment = client.get(url(customer, "select") + "?q=" + product.name, headers=HX).text
    assert "<html" not in fragment and product.name in fragment
    assert "No cloud service matches" in client.get(url(customer, "select") + "?q=zzz", headers=HX).text
    assert "<html" in client.get(url(customer, "select"), headers=HX_BOOSTED).text


def test_a_license_product_or_unknown_id_cannot_be_selected(client, setup):
    from tests.factories import make_product

    _, customer, _ = setup
    esd = make_product()
    db.session.commit()
    for product_id in (esd.id, 999999, "x"):
        response = client.post(url(customer, "select"), data={"product_id": product_id})
        assert response.status_code == 422 and "Choose a service" in response.text


def test_the_local_time_beside_the_utc_input_uses_the_users_zone(client, setup):
    user, customer, _ = setup
    user.timezone = "America/Montevideo"
    db.session.commit()
    fragment = client.get(url(customer, "review/local-time") + "?run_at=2026-12-01T15:00", headers=HX).text
    assert "12:00" in fragment and "America/Montevideo" in fragment and "<html" not in fragment


def test_an_inactive_customer_gets_no_new_service(client, setup):
    _, customer, _ = setup
    customer.status = customer.status.INACTIVE
    db.session.commit()
    response = client.get(url(customer, "select"))
    assert response.status_code == 303 and response.headers["Location"] == f"/customers/{customer.id}"


def test_another_resellers_customer_answers_404_on_every_step(client, setup):
    other_user = make_user()
    foreign = make_customer(other_user.reseller)
    db.session.commit()
    for step in ("", "select", "terms", "configure", "review", "review/local-time"):
        assert client.get(url(foreign, step)).status_code == 404
    for step in ("select", "terms", "configure", "review"):
        assert client.post(url(foreign, step), data={}).status_code == 404


def test_staff_and_anonymous_are_kept_out(client, login, setup):
    _, customer, _ = setup
    client.post("/logout")
    assert client.get(url(customer, "select")).status_code == 302
    login(make_user(Role.STAFF))
    assert client.get(url(customer, "select")).status_code == 403
