"""Every form of every route, refused (or answered from a POST-only URL) as htmx sends it: the address bar is
left on a URL that a GET can show, so the browser's reload never answers 405 (issue 23). The browser side
(what was typed comes back) is tests/browser/test_reload_after_error.py."""
from __future__ import annotations

import pytest
from flask import url_for

from models import Role
from tests.fuzz.targets import TARGETS, build_world
from tests.support import HX, HX_BOOSTED

PAGE = "/licenses/?status=pending"  # the page the form was on, as htmx tells the server (HX-Current-URL)
REFUSED = [("empty", ""), ("too long", "a" * 10_000), ("not a number", "x")]
# Forms whose every refusal here is a redirect with a message (a GET page): nothing else to check for them.
REDIRECTED = {"auth.forms.EmptyForm", "checkout.forms.AmountForm", "checkout.forms.DeliveryForm",
              "checkout.forms.ReviewForm", "team.forms.TeamRoleForm"}


def address_bar_after(response, url: str) -> str:
    """Where htmx leaves the address bar once it swapped this answer to a form sent from PAGE."""
    headers = response.headers
    for name in ("HX-Push-Url", "HX-Replace-Url"):
        if name in headers:
            return PAGE if headers[name] == "false" else headers[name]
    return url  # a boosted form pushes its own action


POSTED = sorted(name for name, targets in TARGETS.items() if any(t.method == "POST" for t in targets))


@pytest.mark.parametrize("form_name", POSTED)  # a form sent with GET has a GET URL already
def test_a_reload_after_any_forms_answer_never_gets_405(form_name, app, client, login):
    from tests.fuzz.test_forms import FORMS, fields_of

    world = build_world()
    posts = [t for t in TARGETS[form_name] if t.method == "POST"]
    with app.test_request_context():
        urls = [(t, url_for(t.endpoint, **{arg: key[1:] if key.startswith("=") else world[key].id
                                           for arg, key in t.args})) for t in posts]
    refused = 0
    for target, url in urls:
        for _label, value in REFUSED:
            for headers in (HX_BOOSTED, HX):
                if target.role is None:
                    with client.session_transaction() as session:
                        session.clear()
                else:
                    login(world["staff"] if target.role is Role.STAFF else world["user"])
                data = {name: value for name in fields_of(FORMS[form_name])}
                response = client.post(url, data=data, headers={**headers, "HX-Current-URL": f"http://localhost{PAGE}"})
                if 300 <= response.status_code < 400:
                    continue  # htmx follows it to a GET page
                refused += response.status_code >= 400
                address = address_bar_after(response, url)
                if target.role is not None:
                    login(world["staff"] if target.role is Role.STAFF else world["user"])
                reload = client.get(address)
                assert reload.status_code != 405, (url, value, response.status_code, address)
                if response.status_code >= 400:
                    assert address == PAGE, (url, response.status_code)  # the page the form is on, re-shown
    assert refused or form_name in REDIRECTED, "no refusal: this test checked nothing for the form"
