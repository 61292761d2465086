"""Every e-mail template, as the real SMTP server receives it: a subject that states what happened, a plain-text part
and an HTML part in the layout, each showing the message, the HTML escaped (issue 23). The statement e-mails have
their own tests (tests/billing)."""
from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from markupsafe import escape

from models import db
from services.mail import outbox
from tests.factories import make_order, make_product, make_reseller, make_user
from tests.support import mail_text, run_jobs

pytestmark = pytest.mark.usefixtures("app")

TRICKY = "Andes <b>&</b> Co"  # a value as typed: shown as is in the text, escaped in the HTML
WHEN = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
LINK = "http://canal.test/somewhere/1"
INCLUDED_ONLY = {"order_lines"}  # a piece other templates include, not a message


def _order(**kw):
    order = make_order(make_user(reseller=make_reseller(name=TRICKY)), lines=[(make_product(name="Office"), 2)], **kw)
    return {"order": order, "order_url": LINK, "approve_url": LINK}


def _subscription(**kw):
    return SimpleNamespace(name="M365 Basic", term_end=WHEN, cancellable_until=WHEN, quantity=5, currency="USD",
                           unit_price=Decimal("6.00"), customer=TRICKY, link=LINK, **kw)


def _people():
    user = make_user(reseller=make_reseller(name=TRICKY), name=TRICKY)
    return {"user": user, "reseller": user.reseller, "sender": make_user(name="Sofía"), "link": LINK, "hours": 48}


def _import_completed(outcome: str):
    return {"outcome": outcome, "import_name": TRICKY, "created_by": "Ana", "created_at": WHEN,
            "import_type": "M365", "status": "COMPLETED", "completed": 3, "failed": 1, "reasons": ["Row 2: bad"],
            "link": LINK}


def _changed(action: str, **figures):
    return {"action": action, "subscription": _subscription(), "customer": SimpleNamespace(name=TRICKY),
            "figures": {"currency": "USD", "term_end": WHEN, "cancellable_until": WHEN, **figures},
            "link": LINK, "name": "Ana"}


def _staff_decision():
    return {"subscription": _subscription(), "customer": SimpleNamespace(name=TRICKY), "reason": "Unpaid <invoice>",
            "link": LINK, "name": "Ana"}


# template, its context, the subject, a line of its body (in both parts)
CASES = [
    ("import_cancelled", lambda: {"imp": SimpleNamespace(name=TRICKY, id=7, run_at=WHEN),
                                  "user": make_user(name="Ana"), "imports_url": LINK},
     f"The distributor cancelled your import “{TRICKY}”", "Nothing of it will run."),
    ("import_completed", lambda: _import_completed("COMPLETED"), "Your import is completed", "Completed accounts"),
    ("import_completed", lambda: _import_completed("COMPLETED_WITH_ERRORS"), "Your import is completed with errors",
     "some accounts failed"),
    ("import_completed", lambda: _import_completed("FAILED"), "Your import failed", "Your import failed."),
    ("invite", _people, f"You are invited to Canal · {TRICKY}", "Choose your password here:"),
    ("password_reset", _people, "Your distributor sent you a link to set a new Canal password",
     "Your current password keeps working"),
    ("license_activation", lambda: {
        "keys": ["K-1"], "line": SimpleNamespace(product_name="Office", sku="O-1"),
        "reseller": SimpleNamespace(name=TRICKY), "customer": SimpleNamespace(name="Acme"),
        "assignment": SimpleNamespace(expires_at=WHEN), "activation_url": LINK},
     f"Your Office license key from {TRICKY}", "each key activates one installation"),
    ("ops_test", lambda: {"sent_at": "2027-03-01 12:00"}, "Canal test message: e-mail delivery works",
     "e-mail delivery works."),
    ("order_received", _order, None, "The distributor will review it."),
    ("order_to_approve", _order, None, "It is waiting for your approval."),
    ("order_approved", _order, None, "ready to assign to your customers"),
    ("order_rejected", lambda: _order(rejection_reason="No <stock>"), None, "No <stock>"),
    ("subscription_changed", lambda: _changed("cancelled", credit=Decimal("3.00")),
     "Subscription M365 Basic was cancelled", "within its cancellation window"),
    ("subscription_changed", lambda: _changed("seats_added", added=2, quantity=7, charge=Decimal("4.00")),
     "Seats added to M365 Basic", "2 seats were added"),
    ("subscription_changed", lambda: _changed("seats_removed", removed=1, quantity=4, credit=Decimal("1.00")),
     "Seats removed from M365 Basic", "1 seat was removed"),
    ("subscription_changed", lambda: _changed("renewed", quantity=5, unit_price=Decimal("6.00")),
     "Subscription M365 Basic renewed", "renewed for a new term"),
    ("subscription_changed", lambda: _changed("expired"), "Subscription M365 Basic expired", "and expired"),
    ("subscription_changed", lambda: _changed("auto_renew_on"), "Auto-renew turned on for M365 Basic",
     "will renew at its term end"),
    ("subscription_changed", lambda: _changed("auto_renew_off"), "Auto-renew turned off for M365 Basic",
     "will not renew"),
    ("subscription_changed", lambda: _changed("quantity_at_renewal", quantity=9),
     "M365 Basic will have 9 seats from its renewal", "will have 9 seats"),
    ("subscription_changed", lambda: _changed("billing_type_at_renewal", billing_type="Annual"),
     "M365 Basic changes its billing type at its renewal", "changes its billing type to Annual"),
    ("subscription_reminder", lambda: {**_changed("x"), "kind": "window"},
     "The cancellation window of M365 Basic closes within 24 hours", "can be cancelled with a prorated credit"),
    ("subscription_reminder", lambda: {**_changed("x"), "kind": "renewal"}, "Subscription M365 Basic renews on",
     "renews automatically on"),
    ("subscription_suspended", _staff_decision, "Subscription M365 Basic was suspended",
     "The distributor suspended the subscription"),
    ("subscription_reactivated", _staff_decision, "Subscription M365 Basic is active again",
     "The distributor reactivated the subscription"),
    ("subscription_term_ends", lambda: {"action": "renewed", "subscriptions": [_subscription()], "name": "Ana"},
     "Subscription M365 Basic renewed", "renewed for a new term"),
    ("subscription_term_ends", lambda: {"action": "expired", "subscriptions": [_subscription()] * 2, "name": "Ana"},
     "2 subscriptions expired", "reached their term end"),
]


def escaped(text: str) -> str:
    return str(escape(text))


@pytest.mark.parametrize("template, context, subject, line", CASES,
                         ids=[f"{case[0]}-{n}" for n, case in enumerate(CASES)])
def test_the_message_has_its_subject_and_both_parts(smtp, template, context, subject, line):
    values = context()
    db.session.flush()
    if subject is None:  # the order e-mails name the order
        order = values["order"]
        subject = {"order_received": f"We received your order {order.number}: it awaits the distributor's approval",
                   "order_to_approve": f"{TRICKY} placed order {order.number}: it awaits your approval",
                   "order_approved": f"Order {order.number} approved: your licenses are available",
                   "order_rejected": f"Order {order.number} was rejected"}[template]
    outbox.queue_email("someone@example.com", template, **values)
    db.session.commit()
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert message["Subject"].startswith(subject)
    text = mail_text(message)
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None and text.strip(), "both parts"
    page = html_part.get_content()
    assert line in text and escaped(line) in page
    assert '<html lang="en">' in page and f"<title>{escaped(message['Subject'])}</title>" in page
    assert "<b>&</b>" not in page and "<stock>" not in page and "<invoice>" not in page  # escaped, every value


def test_every_template_is_covered():
    folder = Path(__file__).resolve().parents[2] / "templates" / "email"
    messages = {p.stem for p in folder.glob("*.txt") if not p.stem.startswith("statement_")} - INCLUDED_ONLY
    assert messages == {case[0] for case in CASES}
