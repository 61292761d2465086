"""Crawl the URL map: every reseller route with an object id, asked by reseller B for reseller A's object
(GET and POST, plain and htmx), answers 404 (405 for a method the URL lacks) and changes nothing.

A new route with an id that this file does not know how to fill fails the crawl by name: add it to FILL
(an object of A's) or, if it is not a reseller route, to NOT_TENANT_SCOPED with the reason."""
from __future__ import annotations

import re

import pytest
from flask import url_for
from werkzeug.exceptions import MethodNotAllowed, NotFound

from models import License, db
from tests.factories import make_customer, make_user
from tests.isolation.world import SECRET_NAME, changed_tables, reseller_a_world, snapshot
from tests.support import HX, HX_BOOSTED

ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
STAFF_AREAS = ("admin.", "ops.", "rq_dashboard.")  # every URL there refuses resellers: tests/test_guards.py

# endpoint -> {URL argument: which of A's objects}
FILL = {
    "cart.update": {"line_id": "cart_line"},
    "cart.delete": {"line_id": "cart_line"},
    "checkout.done": {"order_id": "approved_order"},
    **{f"customers.{view}": {"customer_id": "customer"}
       for view in ("show", "update", "activate", "deactivate", "edit")},
    **{f"provisioning.{view}": {"customer_id": "customer"}
       for view in ("start", "select", "choose", "terms", "accept", "configure", "save_configuration", "review",
                    "schedule", "local_time", "start_over")},
    **{f"subscriptions.{view}": {"subscription_id": "subscription"}
       for view in ("show", "cancel_review", "cancel", "quantity_review", "change_quantity", "auto_renew", "schedule")},
    "imports.cancel": {"import_id": "pending_import"},
    "imports.items": {"import_id": "pending_import"},
    "imports.show": {"import_id": "failed_import"},
    "imports.retry": {"import_id": "failed_import"},
    "imports.upload_show": {"upload_id": "upload"},
    "imports.upload_run": {"upload_id": "upload"},
    "imports.file_show": {"import_id": "file_import"},
    "imports.failed_rows": {"import_id": "file_import"},
    **{f"licenses.{view}": {"assignment_id": "assignment"} for view in ("assignment_emails", "resend", "send_to")},
    "licenses.retry_email": {"email_id": "email"},
    **{f"licenses.{view}": {"order_id": "approved_order"} for view in ("order", "assign", "customer_options")},
    **{f"licenses.{view}": {"order_id": "pending_order"} for view in ("cancel_confirm", "cancel")},
    **{f"billing.{view}": {"statement_id": "statement"} for view in ("statement", "statement_pdf", "statement_csv")},
    **{f"team.{view}": {"user_id": "user"} for view in ("change_role", "disable", "enable", "resend",
                                                         "reset_two_factor")},
}
NOT_TENANT_SCOPED = {
    "catalog.product": "the catalog is the distributor's, the same for every reseller",
    "activation.show": "public page for the end customer: the unguessable token is the credential",
    "activation.confirm": "public page for the end customer: the unguessable token is the credential",
    "auth.set_password": "public invitation link: the unguessable token is the credential",
    "auth.set_password_submit": "public invitation link: the unguessable token is the credential",
}


def id_arguments(rule) -> list[str]:
    return [name for converter, name in ARG.findall(rule.rule)
            if converter == "int" or name == "id" or name.endswith("_id") or name == "token"]


def id_bearing_rules(app) -> list:
    return [rule for rule in app.url_map.iter_rules()
            if id_arguments(rule) and not rule.endpoint.startswith(STAFF_AREAS)]


def test_every_id_bearing_route_is_known_to_the_crawl(app):
    unknown = [f"{rule.endpoint} ({rule.rule})" for rule in id_bearing_rules(app)
               if rule.endpoint not in FILL and rule.endpoint not in NOT_TENANT_SCOPED]
    assert not unknown, ("new route(s) with an object id that the isolation crawl cannot fill: "
                         f"{', '.join(unknown)}. Add each to FILL in {__name__} (an object of reseller A) "
                         "or to NOT_TENANT_SCOPED with the reason")
    stale = sorted(set(FILL) - {rule.endpoint for rule in app.url_map.iter_rules()})
    assert not stale, f"FILL names endpoints that no longer exist: {stale}"


def urls_to_try(app, objects) -> list[tuple[str, str]]:
    urls = set()
    with app.test_request_context():
        for rule in id_bearing_rules(app):
            if rule.endpoint in FILL:
                args = {arg: objects[key].id for arg, key in FILL[rule.endpoint].items()}
                assert set(args) == set(id_arguments(rule)), f"{rule.endpoint}: FILL misses an argument"
                urls.add((rule.endpoint, url_for(rule.endpoint, **args)))
    return sorted(urls)


def expected_status(app, url: str, method: str) -> int:
    try:
        app.url_map.bind("localhost").match(url, method=method)
    except MethodNotAllowed:
        return 405
    except NotFound:
        raise AssertionError(f"{url} does not route") from None
    return 404


def test_reseller_b_gets_404_on_every_object_of_reseller_a_and_changes_nothing(app, client, login):
    objects = reseller_a_world()
    b = make_user(name="Bea of B")
    b_customer = make_customer(b.reseller)
    login(b)
    form = {"quantity": "1", "line_id": str(objects["approved_order"].lines[0].id), "customer_id": str(b_customer.id),
            "code": "B-1", "name": "taken over", "email": "b@example.com", "product_id": "1", "accept": "y",
            "billing_type": "monthly", "now": "1", "confirm": "yes"}
    before = snapshot()
    tried, wrong = 0, []
    for endpoint, url in urls_to_try(app, objects):
        for method in ("GET", "POST"):
            for headers in ({}, HX, HX_BOOSTED):
                response = client.open(url, method=method, headers=headers, data=form if method == "POST" else None)
                want = expected_status(app, url, method)
                body = response.get_data(as_text=True)
                if response.status_code != want or SECRET_NAME in body:
                    wrong.append(f"{method} {url} ({endpoint}, {headers or 'plain'}): {response.status_code}, "
                                 f"expected {want}" + (", shows A's customer" if SECRET_NAME in body else ""))
                tried += 1
        changed = changed_tables(before, snapshot())
        assert not changed, f"requests to {url} ({endpoint}) as reseller B changed {changed}"
    assert not wrong, "\n".join(wrong)
    assert tried >= 6 * len(FILL)


@pytest.mark.parametrize("url", ["/licenses/", "/licenses/export.csv", "/customers/", "/customers/?q=Zebra",
                                 "/imports/", "/cart/", "/licenses/orders/0",
                                 "/subscriptions/", "/subscriptions/export.csv", "/subscriptions/?closing=1"])
def test_lists_and_exports_of_b_show_nothing_of_a(app, client, login, url):
    reseller_a_world()
    keys = [k for (k,) in db.session.query(License.key).filter(License.key.is_not(None))]
    assert keys
    login(make_user())
    before = snapshot()
    for headers in ({}, HX):
        response = client.get(url, headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code in (200, 286, 404)  # 286: nothing of B is running, polling stops
        assert SECRET_NAME not in body and "A-SECRET-1" not in body
        assert not [k for k in keys if k in body]
    assert not changed_tables(before, snapshot())


def test_reseller_a_sees_its_own_objects_on_the_same_urls(app, client, login):
    """The control: the same URLs answer A, so the 404s above are isolation, not broken URLs."""
    objects = reseller_a_world()
    login(objects["user"])
    for endpoint, url in urls_to_try(app, objects):
        if expected_status(app, url, "GET") == 404:
            response = client.get(url)
            assert response.status_code in (200, 303, 302), f"{endpoint} {url}: {response.status_code}"
    export = client.get("/licenses/export.csv").get_data(as_text=True)
    assert SECRET_NAME in export or "A-SECRET-1" in export
    assert SECRET_NAME in client.get("/subscriptions/export.csv").get_data(as_text=True)
