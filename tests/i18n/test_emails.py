"""E-mails are written in the recipient's language, whoever caused them: the end customer's `language`,
a user's `locale`. Asserted on what a real SMTP server received."""
from __future__ import annotations

from decimal import Decimal

import pytest

from models import OrderStatus, Role, db
from services.orders import orders
from tests.assignments.support import assign, setup_pool
from tests.factories import make_order, make_product, make_user
from tests.support import mail_text, run_jobs


@pytest.mark.parametrize("language,subject,phrases", [
    ("es", "Sus 2 claves de licencia de Windows 11 Pro de parte de",
     ["Hola, Acme:", "Claves de licencia:", "Instrucciones:", "Confirme la activación en esta página"]),
    ("en", "Your 2 Windows 11 Pro license keys from",
     ["Hello Acme,", "License keys:", "Instructions:", "Confirm the activation on this page"]),
])
def test_the_activation_email_is_in_the_customers_language(app, smtp, language, subject, phrases):
    user, order, customer = setup_pool(6, name="Acme", language=language)
    other = "en" if language == "es" else "es"
    # The reseller works in the other language: the customer's wins.
    with app.test_request_context(headers={"Accept-Language": other}):
        assign(order, customer, 2, user)
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    body = mail_text(message)
    assert message["Subject"].strip().startswith(subject), message["Subject"]  # a long one is folded
    for phrase in phrases:
        assert phrase in body, phrase


def test_emails_to_users_use_their_locale_and_their_countrys_formats(app, smtp):
    reseller_user = make_user(Role.RESELLER, locale="es")
    reseller_user.reseller.country = "UY"
    order = make_order(reseller_user, lines=[(make_product(price=Decimal("253.00")), 1)])
    staff = make_user(Role.STAFF, locale="en")
    db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "en"}):  # staff approve in English
        orders.approve_order(order, staff)
        db.session.commit()
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    body = mail_text(message)
    assert message["Subject"].strip() == f"Pedido {order.number} aprobado: sus licencias están disponibles"
    assert "Total: US$\xa0253,00" in body
    assert order.status is OrderStatus.APPROVED


@pytest.mark.parametrize("language,expected", [("es", "Confirmar activación"), ("en", "Confirm activation")])
def test_the_activation_page_speaks_the_customers_language(client, language, expected):
    user, order, customer = setup_pool(2, language=language)
    assignment = assign(order, customer, 1, user)
    other = "en" if language == "es" else "es"
    page = client.get(f"/activate/{assignment.token}", headers={"Accept-Language": other}).text
    assert expected in page and f'<html lang="{language}">' in page
