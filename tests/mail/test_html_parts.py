"""Every e-mail has a plain-text part and an HTML part, escaped, in the recipient's language (issue 23); read at
the real SMTP server."""
from __future__ import annotations

import pytest

from models import Role, db
from services.mail import html
from services.orders import orders
from tests.factories import make_order, make_product, make_user
from tests.support import mail_text, run_jobs

pytestmark = pytest.mark.usefixtures("app")

REASON = 'Price <script>alert("x")</script> & terms'


def html_part(message) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "no HTML part"
    return part.get_content()


@pytest.mark.parametrize("locale,hello,lang", [("en", "The distributor rejected order", 'lang="en"'),
                                                ("es", "El distribuidor rechazó el pedido", 'lang="es"')])
def test_a_message_without_its_own_html_gets_its_text_in_the_layout_escaped(app, smtp, locale, hello, lang):
    reseller_user = make_user(Role.RESELLER, locale=locale, email="ana@andes.test")
    order = make_order(reseller_user, lines=[(make_product(name="Office <Pro>"), 1)])
    staff = make_user(Role.STAFF, locale="en")
    db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        orders.reject_order(order, staff, REASON)
        db.session.commit()
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    text, page = mail_text(message), html_part(message)
    assert REASON in text  # plain text shows it as typed
    assert "&lt;script&gt;" in page and "<script>" not in page and "Office &lt;Pro&gt;" in page
    assert hello in text and hello in page and lang in page
    assert f'<a href="http://canal.test/licenses/orders/{order.id}">' in page  # the link is clickable


def test_paragraphs_escape_and_link():
    out = str(html.paragraphs('First <line>\nsecond & more\n\nSee https://x.test/a?b=1&c=2. Thanks'))
    assert out == ('<p>First &lt;line&gt;<br>\nsecond &amp; more</p>\n'
                   '<p>See <a href="https://x.test/a?b=1&amp;c=2">https://x.test/a?b=1&amp;c=2</a>. Thanks</p>')
