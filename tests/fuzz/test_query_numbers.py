"""Numbers in query strings (issue 18): every GET page, list and export, asked with huge, negative or non-ASCII
page numbers, cursors, ids and page sizes, answers 400 or a clamped page (2xx/3xx), never a 500."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask import url_for

from models import Role
from tests.factories import make_category, make_user
from tests.isolation.test_crawl import ARG, FILL
from tests.isolation.world import reseller_a_world

HUGE = "999999999999999999999999"
# Past 32 bits, just past 64 bits (HUGE's class: a guard on the number of digits lets this one through), past
# Python's int() digit limit, negative, zero, a digit int() refuses and one it reads.
NUMBERS = ["2147483648", "9223372036854775808", "9" * 5000, "-1", "0", "²", "٣"]
PARAMETERS = ("page", "after", "before", "per_page", "customer", "open", "reseller")
SKIPPED = ("static", "rq_dashboard.", "ops.mail_message", "activation.", "auth.set_password", "checkout.show",
           "catalog.brand", "catalog.category")  # tokens, slugs and step names: no number to vary
STAFF_FILL = {"order_id": "approved_order", "email_id": "email", "reseller_id": "reseller",
              "category_id": "category", "product_id": "product", "vendor_id": "vendor"}


def get_urls(app, objects: dict, staff: bool) -> list[str]:
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint.startswith(SKIPPED):
                continue
            if rule.endpoint.startswith(("admin.", "ops.")) != staff:
                continue
            names = [name for _converter, name in ARG.findall(rule.rule)]
            fill = FILL.get(rule.endpoint, {}) if not staff else {n: STAFF_FILL[n] for n in names if n in STAFF_FILL}
            if set(fill) != set(names):
                continue
            urls.append(url_for(rule.endpoint, **{arg: objects[key].id for arg, key in fill.items()}))
    return sorted(urls)


def world() -> dict:
    objects = reseller_a_world()
    order = objects["approved_order"]
    product = order.lines[0].product
    return {**objects, "reseller": objects["user"].reseller, "product": product, "vendor": product.vendor,
            "category": make_category()}


def crawl(client, urls: list[str], name: str) -> tuple[int, list[str]]:
    tried, wrong = 0, []
    for url in urls:
        for value in NUMBERS:
                target = f"{url}?{urlencode({name: value})}"
                try:  # the test app re-raises a view's exception: collect them all rather than stop at one
                    status = str(client.get(target).status_code)
                except Exception as exc:  # noqa: BLE001
                    status = f"{type(exc).__name__}: {str(exc)[:80]}"
                tried += 1
                if not status.isascii() or not status.isdigit() or int(status) >= 500:
                    wrong.append(f"{target[:100]}: {status}")
    return tried, wrong


@pytest.mark.parametrize("name", PARAMETERS)  # one test per parameter: the workers share the crawl
@pytest.mark.parametrize("role", [Role.RESELLER, Role.STAFF])
def test_huge_and_odd_numbers_in_the_query_string_never_give_a_500(app, client, login, role, name):
    objects = world()
    urls = get_urls(app, objects, staff=role is Role.STAFF)
    assert len(urls) >= (15 if role is Role.STAFF else 20)
    login(objects["user"] if role is Role.RESELLER else make_user(role=Role.STAFF))
    tried, wrong = crawl(client, urls, name)
    assert not wrong, "\n".join(wrong)
    assert tried == len(urls) * len(NUMBERS)


@pytest.mark.parametrize("url", ["/customers/", "/licenses/", "/catalog/", "/admin/approvals"])
def test_a_huge_page_number_is_clamped_to_an_empty_page_past_the_end(client, login, url):
    login(make_user(role=Role.STAFF if url.startswith("/admin") else Role.RESELLER))
    assert client.get(f"{url}?page={HUGE}").status_code == 200


def test_a_license_export_for_an_impossible_customer_id_is_404(client, login):
    login(make_user())
    assert client.get(f"/licenses/export.csv?customer={HUGE}").status_code == 404
    assert client.get("/licenses/export.csv?customer=²").status_code == 404
    assert client.get("/licenses/export.csv").status_code == 200  # the control
