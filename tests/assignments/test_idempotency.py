"""Assign is idempotent on the form's token (issue 24, item 4): when the connection drops after the server
committed, the user's retry sends the same form again and gets the first assignment, with no second
assignment and no second e-mail; the same form sent twice at once assigns once too."""
import http.client
import re
import socket
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa

from models import Assignment, LicenseStatus, OutboxEmail, Role, db
from services.orders import assignments
from tests.assignments.support import approved_order, count, race, setup_pool
from tests.factories import make_customer, make_user
from tests.support import mail_text, run_jobs, wait_for


def text(response) -> str:
    return response.get_data(as_text=True)


def form_token(html: str) -> str:
    return re.search(r'<input type="hidden" name="token" value="([^"]+)">', html).group(1)


def assign_form(order, customer, quantity: int, token: str) -> dict:
    return {"line_id": order.lines[0].id, "quantity": quantity, "customer_id": customer.id, "token": token}


def totals() -> tuple[int, int]:
    db.session.expire_all()
    return (db.session.scalar(sa.select(sa.func.count(Assignment.id))),
            db.session.scalar(sa.select(sa.func.count(OutboxEmail.id))))


@pytest.fixture
def pool(login):
    user, order, customer = setup_pool(6, code="ACME", name="Acme Ltda.")
    login(user)
    return user, order, customer


def test_a_retry_of_a_committed_assign_gets_the_first_assignment_and_no_second_email(client, pool, smtp):
    user, order, customer = pool
    page = text(client.get(f"/licenses/orders/{order.id}"))
    form = assign_form(order, customer, 2, form_token(page))

    client.post(f"/licenses/orders/{order.id}/assign", data=form)  # committed; the answer never arrives
    retry = client.post(f"/licenses/orders/{order.id}/assign", data=form)

    assert retry.status_code == 303 and retry.headers["Location"] == f"/licenses/orders/{order.id}#assignments"
    assert "2 licenses assigned to Acme Ltda.; the activation e-mail is on its way." in text(
        client.get(retry.headers["Location"]))
    assert totals() == (1, 1)
    assert count(LicenseStatus.ASSIGNED, order) == 2 and count(LicenseStatus.AVAILABLE, order) == 4
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert message["To"] == customer.email and "Windows 11 Pro" in mail_text(message)


def test_drill_the_connection_drops_after_the_commit_and_the_retry_assigns_once(client, pool, live_server):
    """Over a real socket: the browser sends the form and the connection is gone before the answer; the server
    commits all the same. The user sends the form again: the first assignment is the answer."""
    user, order, customer = pool
    form = assign_form(order, customer, 2, form_token(text(client.get(f"/licenses/orders/{order.id}"))))
    body, url = urlencode(form).encode(), urlsplit(live_server)
    headers = (f"POST /licenses/orders/{order.id}/assign HTTP/1.1\r\nHost: {url.netloc}\r\n"
               f"Cookie: session={client.get_cookie('session').value}\r\n"
               f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n\r\n")
    with socket.create_connection((url.hostname, url.port)) as dropped:
        dropped.sendall(headers.encode() + body)  # and closed without reading the answer
    wait_for(lambda: totals() == (1, 1))

    retry = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    retry.request("POST", f"/licenses/orders/{order.id}/assign", body=body, headers={
        "Cookie": f"session={client.get_cookie('session').value}",
        "Content-Type": "application/x-www-form-urlencoded"})
    answer = retry.getresponse()
    assert answer.status == 303 and answer.getheader("Location") == f"/licenses/orders/{order.id}#assignments"
    retry.close()
    assert totals() == (1, 1) and count(LicenseStatus.ASSIGNED, order) == 2


def test_each_blank_form_has_a_new_token_so_a_second_assign_is_its_own(client, pool):
    user, order, customer = pool
    first = form_token(text(client.get(f"/licenses/orders/{order.id}")))
    assert client.post(f"/licenses/orders/{order.id}/assign",
                       data=assign_form(order, customer, 1, first)).status_code == 303
    second = form_token(text(client.get(f"/licenses/orders/{order.id}")))
    assert second != first
    assert client.post(f"/licenses/orders/{order.id}/assign",
                       data=assign_form(order, customer, 1, second)).status_code == 303
    assert totals() == (2, 2) and count(LicenseStatus.ASSIGNED, order) == 2


def test_a_refused_form_keeps_its_token_and_can_be_corrected(client, pool):
    user, order, customer = pool
    token = form_token(text(client.get(f"/licenses/orders/{order.id}")))
    refused = client.post(f"/licenses/orders/{order.id}/assign", data=assign_form(order, customer, 7, token))
    assert refused.status_code == 422 and form_token(text(refused)) == token  # nothing was assigned with it
    assert client.post(f"/licenses/orders/{order.id}/assign",
                       data=assign_form(order, customer, 2, token)).status_code == 303
    assert totals() == (1, 1) and count(LicenseStatus.ASSIGNED, order) == 2


def test_a_token_of_another_resellers_form_assigns_nothing(client, pool):
    user, order, customer = pool
    other_user = make_user(Role.RESELLER)
    other_order, other_customer = approved_order(other_user, 6), make_customer(other_user.reseller)
    assignments.assign_licenses(other_order, other_order.lines[0].id, other_customer, 1, other_user,
                                request_token="copied-token")
    db.session.commit()
    response = client.post(f"/licenses/orders/{order.id}/assign",
                           data=assign_form(order, customer, 2, "copied-token"))
    assert response.status_code == 303
    assert "This form was already used. Reload the page and assign again." in text(
        client.get(response.headers["Location"]))
    assert totals() == (1, 1) and count(LicenseStatus.ASSIGNED, order) == 0


def test_the_same_form_sent_eight_times_at_once_assigns_once(app, pool):
    user, order, customer = pool
    clients = []
    for _ in range(8):
        c = app.test_client()
        with c.session_transaction() as session:
            session["_user_id"] = user.get_id()
        clients.append(c)
    form = assign_form(order, customer, 2, "one-form-token")
    responses = race(8, lambda i: clients[i].post(f"/licenses/orders/{order.id}/assign", data=form))
    assert [getattr(r, "status_code", r) for r in responses] == [303] * 8
    assert totals() == (1, 1)
    assert count(LicenseStatus.ASSIGNED, order) == 2
