"""Issue 18, finding 7: staff see set-password links and license keys masked in /admin/outbox/<id>, and
opening a message that holds one is audited."""
import re

import pytest
import sqlalchemy as sa

from models import AuditEvent, OutboxEmail, Role, db
from services.accounts import resellers
from services.mail.mail_secrets import MASK
from tests.assignments.support import assign, setup_pool
from tests.factories import make_reseller, make_user


def email_for(template: str) -> OutboxEmail:
    return db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.template == template))


def opened(email: OutboxEmail) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "email.open", AuditEvent.object_id == str(email.id))))


def test_staff_see_an_invitation_without_its_link_and_the_opening_is_audited(client, login):
    staff = make_user(Role.STAFF)
    resellers.invite_user(make_reseller(), by=staff, email="newbie@example.com")
    db.session.commit()
    email = email_for("invite")
    token = re.search(r"/set-password/(\S+)", email.body_text)[1]
    login(staff)

    page = client.get(f"/admin/outbox/{email.id}").get_data(as_text=True)
    assert token not in page
    assert f"http://canal.test/set-password/{MASK}" in page
    [event] = opened(email)
    assert event.actor_id == staff.id
    assert event.details == {"to": "newbie@example.com", "template": "invite", "masked": True}


@pytest.mark.parametrize("language", ["en", "es"])  # the e-mail is in the end customer's language
def test_staff_see_license_keys_and_the_activation_link_masked(client, login, language):
    user, order, customer = setup_pool(6, language=language)
    assignment = assign(order, customer, 3, user)
    email = email_for("license_activation")
    staff = login(make_user(Role.STAFF))

    page = client.get(f"/admin/outbox/{email.id}").get_data(as_text=True)
    for lic in assignment.licenses:
        assert lic.key not in page
    assert assignment.token not in page
    assert [f"{n}. {MASK}" in page for n in (1, 2, 3)] == [True, True, True]
    assert "Windows 11 Pro (KW9-00632)" in page  # the rest stays readable
    assert [e.actor_id for e in opened(email)] == [staff.id]


def test_a_message_without_secrets_is_shown_whole_and_not_audited(client, login):
    login(make_user(Role.STAFF))
    email = OutboxEmail(to_addr="ana@example.com", subject="Hello", body_text="See /orders/12 for 1. details\n",
                        template="order_received")
    db.session.add(email)
    db.session.commit()
    page = client.get(f"/admin/outbox/{email.id}").get_data(as_text=True)
    assert "See /orders/12 for 1. details" in page and MASK not in page
    assert opened(email) == []
