"""Issue 18, finding 7: the dev mail catcher (/ops/mail) masks set-password links and license keys, shows
them only to their recipient, and audits the opening of a message that holds one."""
import re

import pytest

from devstack import mailbox
from models import AuditEvent, Role, db
from services.accounts import resellers
from services.mail.mail_secrets import MASK
from tests.assignments.support import assign, setup_pool
from tests.factories import make_customer, make_reseller, make_user
from tests.support import mail_text, run_jobs


@pytest.fixture
def app_config(app_config, tmp_path):
    return {**app_config, "MAIL_CATCHER_DIR": str(tmp_path / "mail")}


def catch_sent_mail(app, smtp, count: int = 1) -> list[str]:
    """Deliver the outbox to the test SMTP server and keep each message as the catcher does (.eml files)."""
    run_jobs("mail")
    smtp.wait_for_messages(count)
    return [mailbox.store(app.config["MAIL_CATCHER_DIR"], raw) for _, raw in smtp.handler.messages]


def opened_mail_events() -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "mail.open")))


def test_ops_see_an_invitation_with_its_set_password_link_masked(app, client, login, smtp):
    staff = make_user(Role.STAFF)
    resellers.invite_user(make_reseller(), by=staff, email="newbie@example.com", name="Newbie")
    db.session.commit()
    [name] = catch_sent_mail(app, smtp)
    token = re.search(r"/set-password/(\S+)", mail_text(smtp.messages[0]))[1]
    ops = login(make_user(Role.OPS))

    page = client.get(f"/ops/mail/{name}").get_data(as_text=True)
    assert token not in page
    assert f"/set-password/{MASK}" in page
    assert "only their recipient may read them" in page
    assert client.get(f"/set-password/{token}").status_code == 200  # the link itself still works for its owner
    [event] = opened_mail_events()
    assert event.actor_id == ops.id
    assert event.details == {"message": name, "to": "newbie@example.com", "masked": True}
    assert token not in client.get("/ops/mail").get_data(as_text=True)


def test_ops_see_license_keys_masked_unless_the_keys_are_theirs(app, client, login, smtp):
    ops = make_user(Role.OPS, email="ops@example.com")
    user, order, customer = setup_pool(6, email="it@acme.test")
    keys = [lic.key for lic in assign(order, customer, 2, user).licenses]
    own = make_customer(user.reseller, email="ops@example.com", language="en")
    own_keys = [lic.key for lic in assign(order, own, 1, user).licenses]
    names = catch_sent_mail(app, smtp, count=2)
    login(ops)

    pages = {name: client.get(f"/ops/mail/{name}").get_data(as_text=True) for name in names}
    [customers] = [page for page in pages.values() if "it@acme.test" in page]
    [opses] = [page for page in pages.values() if "it@acme.test" not in page]
    for key in keys:
        assert key not in customers
    assert customers.count(f"1. {MASK}") == 1 and customers.count(f"2. {MASK}") == 1
    assert f"/activate/{MASK}" in customers and "Instructions:" in customers
    for key in own_keys:
        assert key in opses  # addressed to the ops user: their own keys
    assert sorted(e.details["masked"] for e in opened_mail_events()) == [False, True]
