"""The public activation page: keys and "Confirm activation"; single use; expiry; unknown links."""
from datetime import timedelta

import sqlalchemy as sa

from models import AuditEvent, LicenseStatus, db, utcnow
from tests.assignments.support import assign, count, setup_pool


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_end_customer_sees_the_keys_and_confirms_once(client, login):
    user, order, customer = setup_pool(6, name="Acme <i>Ltda</i>")
    assignment = assign(order, customer, 2, user)
    url = f"/activate/{assignment.token}"
    page = client.get(url)  # no login
    html = text(page)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert all(lic.key in html for lic in assignment.licenses)
    assert "Confirm activation" in html and "Instructions" in html and "Acme &lt;i&gt;Ltda&lt;/i&gt;" in html

    response = client.post(url)
    assert response.status_code == 303 and response.headers["Location"] == f"{url}?confirmed=1"
    html = text(client.get(response.headers["Location"]))
    assert "Activation confirmed on" in html and "KEY-" not in html
    db.session.expire_all()
    assert count(LicenseStatus.ACTIVATED, order) == 2 and count(LicenseStatus.AVAILABLE, order) == 4
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "licenses.activate"))

    again = text(client.get(url))
    when = assignment.activated_at.strftime("%Y-%m-%d %H:%M UTC")
    assert f"these licenses were already activated on {when}" in again and "KEY-" not in again
    assert "Confirm activation" not in again
    refused = client.post(url, follow_redirects=True)
    assert f"These licenses were already activated on {when}." in text(refused)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))
                             .where(AuditEvent.action == "licenses.activate")) == 1

    login(user)  # the reseller sees it on the order page and the customer page
    assert "Activated" in text(client.get(f"/licenses/orders/{order.id}"))
    assert "status-activated" in text(client.get(f"/customers/{customer.id}"))


def test_an_expired_link_says_so_and_cannot_activate(client):
    user, order, customer = setup_pool(6)
    assignment = assign(order, customer, 2, user)
    assignment.expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    page = client.get(f"/activate/{assignment.token}")
    html = text(page)
    assert page.status_code == 410 and "This activation link expired on" in html
    assert "KEY-" not in html and "Confirm activation" not in html
    refused = client.post(f"/activate/{assignment.token}", follow_redirects=True)
    assert "expired on" in text(refused)
    assert count(LicenseStatus.ASSIGNED, order) == 2 and count(LicenseStatus.ACTIVATED, order) == 0


def test_resend_renews_an_expired_link(client, login):
    user, order, customer = setup_pool(6)
    assignment = assign(order, customer, 1, user)
    assignment.expires_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    login(user)
    assert "Link expired: resend to renew it." in text(client.get(f"/licenses/orders/{order.id}"))
    client.post(f"/licenses/assignments/{assignment.id}/resend", data={"again": "1"})  # the first went just now
    client.post("/logout")
    assert client.get(f"/activate/{assignment.token}").status_code == 200


def test_unknown_tokens_are_404_without_keys_or_errors(client):
    user, order, customer = setup_pool(6)
    assign(order, customer, 2, user)
    nul = client.get("/activate/%00")  # the app refuses NUL in any URL before we see it
    assert nul.status_code == 400 and "KEY-" not in text(nul)
    for token in ("nope", "x" * 43, "y" * 500, "token-" + "z" * 37):
        response = client.get(f"/activate/{token}")
        assert response.status_code == 404 and "This activation link does not exist." in text(response)
        assert "KEY-" not in text(response)
        assert client.post(f"/activate/{token}").status_code == 404
    assert count(LicenseStatus.ACTIVATED) == 0
