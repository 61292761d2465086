"""A reseller's contact e-mail: staff set it (checked like every address), and its customers' activation e-mails,
as the real SMTP server receives them, carry the reseller's name and reply to it (else to the assigning user)."""
import pytest

from models import Role, db
from services.accounts import resellers
from tests.assignments.support import assign, setup_pool
from tests.factories import make_reseller, make_user
from tests.support import mail_text, run_jobs

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def staff(login):
    return login(make_user(Role.STAFF))


def edit(client, reseller, contact_email: str):
    return client.post(f"/admin/resellers/{reseller.id}/edit", data={
        "name": reseller.name, "tax_id": reseller.tax_id or "T-1", "country": reseller.country,
        "currency": reseller.currency, "contact_email": contact_email})


def test_staff_set_and_clear_the_contact_email(client, staff):
    reseller = make_reseller(name="Andes", country="UY", currency="USD")
    db.session.commit()
    assert 'name="contact_email"' in client.get(f"/admin/resellers/{reseller.id}/edit").text
    assert edit(client, reseller, "  Soporte@Andes.test ").status_code == 303
    db.session.refresh(reseller)
    assert reseller.contact_email == "Soporte@andes.test"  # normalised: the domain in lower case
    assert "Soporte@andes.test" in client.get(f"/admin/resellers/{reseller.id}").text
    assert edit(client, reseller, "").status_code == 303
    db.session.refresh(reseller)
    assert reseller.contact_email == ""


@pytest.mark.parametrize("bad", ["not-an-address", "a@b.test\nBcc: x@evil.test", "a@b.test, c@d.test"])
def test_a_bad_contact_email_is_refused_next_to_its_field(client, staff, bad):
    reseller = make_reseller(name="Andes", country="UY", currency="USD", contact_email="ok@andes.test")
    db.session.commit()
    response = edit(client, reseller, bad)
    assert response.status_code == 422
    assert 'id="contact_email-error"' in response.text and "Enter a valid e-mail address." in response.text
    db.session.refresh(reseller)
    assert reseller.contact_email == "ok@andes.test"


def test_the_service_refuses_a_bad_address_and_audits_a_change():
    staff = make_user(Role.STAFF)
    reseller = make_reseller()
    with pytest.raises(resellers.ResellerError) as refused:
        resellers.update_reseller(reseller, by=staff, contact_email="nope")
    assert refused.value.field == "contact_email"
    assert resellers.update_reseller(reseller, by=staff, contact_email="help@r.test") == {
        "contact_email": ["", "help@r.test"]}


def test_activation_emails_reply_to_the_resellers_contact_address(smtp):
    user, order, customer = setup_pool(6, email="it@acme.test")
    user.reseller.contact_email = "soporte@andes.test"
    db.session.commit()
    assign(order, customer, 1, user)
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert message["Reply-To"].addresses[0].addr_spec == "soporte@andes.test"
    assert message["From"].addresses[0].display_name == user.reseller.name
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"Reply to this e-mail to reach {user.reseller.name}" in html
    assert f"Questions? Reply to this e-mail to reach {user.reseller.name}." in mail_text(message)


def test_without_a_contact_address_replies_go_to_the_assigning_user(smtp):
    user, order, customer = setup_pool(6, email="it@acme.test")
    assign(order, customer, 1, user)
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert message["Reply-To"].addresses[0].addr_spec == user.email


def test_a_resellers_admin_sets_its_contact_email_on_the_team_page(client, login):
    admin = login(make_user(name="Ada Admin"))
    page = client.get("/team/").text
    assert 'name="contact_email"' in page and "Replies from your customers" in page
    response = client.post("/team/contact-email", data={"contact_email": "ayuda@andes.test"})
    assert response.status_code == 303
    db.session.refresh(admin.reseller)
    assert admin.reseller.contact_email == "ayuda@andes.test"
    assert 'value="ayuda@andes.test"' in client.get("/team/").text
    bad = client.post("/team/contact-email", data={"contact_email": "ayuda@"})
    assert bad.status_code == 422 and 'id="contact_email-error"' in bad.text and 'value="ayuda@"' in bad.text
    db.session.refresh(admin.reseller)
    assert admin.reseller.contact_email == "ayuda@andes.test"


def test_a_buyer_or_viewer_cannot_change_it(client, login):
    admin = make_user()
    for role in ("buyer", "viewer"):
        login(make_user(reseller=admin.reseller, team_role=role))
        assert client.post("/team/contact-email", data={"contact_email": "x@y.test"}).status_code == 403
    db.session.refresh(admin.reseller)
    assert admin.reseller.contact_email == ""
