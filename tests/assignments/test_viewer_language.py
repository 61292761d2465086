"""Messages are in the viewer's language, not in the language of the customer an e-mail is for (issue 23)."""
from models import db
from tests.assignments.support import assign, setup_pool


def send_to(client, assignment, address: str) -> str:
    response = client.post(f"/licenses/assignments/{assignment.id}/send", data={"email": address})
    assert response.status_code == 422
    return response.get_data(as_text=True)


def test_an_english_viewer_reads_the_address_error_in_english_for_a_spanish_customer(client, login):
    user, order, customer = setup_pool(6, language="es", country="UY")
    assignment = assign(order, customer, 1, user)
    login(user)
    html = send_to(client, assignment, "nope")
    assert "Enter a valid e-mail address." in html
    assert "Ingrese una dirección" not in html


def test_a_spanish_viewer_reads_it_in_spanish_for_an_english_customer(client, login):
    user, order, customer = setup_pool(6, language="en")
    assignment = assign(order, customer, 1, user)
    user.locale = "es"
    db.session.commit()
    login(user)
    html = send_to(client, assignment, "boss@acme.test\r\nBcc: all@evil.test")
    assert "Ingrese una dirección de correo electrónico válida." in html
    assert "Enter a valid e-mail address." not in html
