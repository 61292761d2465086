"""The staff lists sort by their columns (?sort=key, ?sort=-key, in the URL), show their range and total, and ignore
a sort they do not offer."""
import re
from datetime import timedelta
from decimal import Decimal

import pytest

from models import AuditEvent, EmailStatus, Import, ImportSource, ImportStatus, OutboxEmail, Role, db, utcnow
from tests.factories import (
    make_category,
    make_customer,
    make_order,
    make_product,
    make_reseller,
    make_user,
    make_vendor,
)
from tests.subscriptions import make_subscription

BAD_SORTS = ("bogus", "-", "--name", "%C3%B1", "sort" * 100)  # (a NUL is refused earlier: 400)


@pytest.fixture
def staff(login):
    return login(make_user(Role.STAFF, email="zoe@distri.test"))


def row_ids(html: str, kind: str) -> list[int]:
    return [int(i) for i in re.findall(rf'<tr id="{kind}-(\d+)"', html)]


def next_link(html: str) -> str:
    return re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")


def header(html: str, label: str) -> str:
    return re.search(rf'<th scope="col"[^>]*aria-sort="(\w+)">\s*<a href="[^"]+" class="sort[^"]*">{label}', html)[1]


def make_import(user, name: str, **kw) -> Import:
    imp = Import(reseller_id=user.reseller_id, created_by_id=user.id, source=ImportSource.SCHEDULED, name=name,
                 run_at=utcnow() + timedelta(days=1), **kw)
    db.session.add(imp)
    db.session.flush()
    return imp


def make_email(subject: str, to: str = "ana@example.com", **kw) -> OutboxEmail:
    email = OutboxEmail(to_addr=to, subject=subject, body_text="Body\n", template="ops_test", **kw)
    db.session.add(email)
    db.session.flush()
    return email


def test_imports_sort_by_name_reseller_and_counts(client, staff):
    andes, pampa = make_user(reseller=make_reseller(name="Andes")), make_user(reseller=make_reseller(name="pampa"))
    beta = make_import(andes, "Beta", completed_count=3)
    alpha = make_import(pampa, "alpha", completed_count=9)
    gamma = make_import(andes, "Gamma", status=ImportStatus.FAILED, completed_count=1)
    db.session.commit()
    html = client.get("/admin/imports/?sort=name").text
    assert row_ids(html, "import") == [alpha.id, beta.id, gamma.id]  # case-insensitive
    assert header(html, "Import name") == "ascending" and header(html, "Reseller") == "none"
    assert 'href="/admin/imports/?sort=-name"' in html  # a second click reverses
    assert row_ids(client.get("/admin/imports/?sort=-completed").text, "import") == [alpha.id, beta.id, gamma.id]
    by_reseller = client.get("/admin/imports/?sort=-reseller").text
    assert row_ids(by_reseller, "import") == [alpha.id, gamma.id, beta.id]  # pampa, then Andes (newest first)
    filtered = client.get(f"/admin/imports/?sort=name&reseller={andes.reseller_id}").text
    assert row_ids(filtered, "import") == [beta.id, gamma.id] and "1–2 of 2" in filtered
    assert "1–3 of 3" in html


def test_imports_pages_keep_their_sort_and_count(client, staff):
    user = make_user()
    made = [make_import(user, f"Import {n:03}") for n in range(55)]
    db.session.commit()
    first = client.get("/admin/imports/?sort=name").text
    assert row_ids(first, "import") == [imp.id for imp in made[:50]] and "1–50 of 55" in first
    link = next_link(first)
    assert "sort=name" in link
    second = client.get(link).text
    assert row_ids(second, "import") == [imp.id for imp in made[50:]] and "51–55 of 55" in second


def test_outbox_sorts_by_recipient_subject_and_attempts(client, staff):
    carla = make_email("Zebra", to="carla@example.com", attempts=2)
    ana = make_email("apple", to="Ana@example.com", attempts=5)
    bob = make_email("Mango", to="bob@example.com", status=EmailStatus.FAILED, attempts=1)
    db.session.commit()
    assert row_ids(client.get("/admin/outbox/?sort=to").text, "email") == [ana.id, bob.id, carla.id]
    html = client.get("/admin/outbox/?sort=-subject").text
    assert row_ids(html, "email") == [carla.id, bob.id, ana.id] and header(html, "Subject") == "descending"
    assert row_ids(client.get("/admin/outbox/?sort=attempts").text, "email") == [bob.id, carla.id, ana.id]
    filtered = client.get("/admin/outbox/?status=FAILED&sort=to").text
    assert row_ids(filtered, "email") == [bob.id] and "1–1 of 1" in filtered
    assert "1–3 of 3" in html


def test_audit_log_sorts_by_who_action_and_object(client, staff):
    amy = make_user(Role.STAFF, email="amy@distri.test")
    events = [AuditEvent(action="reseller.suspend", actor_id=staff.id, object_type="Reseller", object_id="1"),
              AuditEvent(action="order.approve", actor_id=amy.id, object_type="Order", object_id="2"),
              AuditEvent(action="import.run", actor_id=None, object_type="Import", object_id="3")]
    db.session.add_all(events)
    db.session.commit()

    def actions(query: str) -> list[str]:
        html = client.get(f"/admin/audit/?{query}").text
        return re.findall(r"<td><code>([^<]+)</code></td>", html)

    assert actions("sort=action") == ["import.run", "order.approve", "reseller.suspend"]
    assert actions("sort=-object") == ["reseller.suspend", "order.approve", "import.run"]
    assert actions("sort=who") == ["import.run", "order.approve", "reseller.suspend"]  # the system first
    html = client.get("/admin/audit/?sort=who").text
    assert header(html, "Who") == "ascending" and "1–3 of 3" in html


def test_approvals_sort_by_total_and_reseller(client, staff):
    cheap, dear = make_product(price=Decimal("10.00")), make_product(price=Decimal("90.00"))
    zeta, acme = make_user(reseller=make_reseller(name="Zeta")), make_user(reseller=make_reseller(name="acme"))
    first = make_order(zeta, lines=[(dear, 1)])
    second = make_order(acme, lines=[(cheap, 1)])
    db.session.commit()
    queue = client.get("/admin/approvals").text
    assert row_ids(queue, "approval") == [first.id, second.id] and "oldest first" in queue
    assert "1–2 of 2" in queue and header(queue, "Placed") == "ascending"
    by_total = client.get("/admin/approvals?sort=total").text
    assert row_ids(by_total, "approval") == [second.id, first.id] and "oldest first" not in by_total
    assert row_ids(client.get("/admin/approvals?sort=-total").text, "approval") == [first.id, second.id]
    assert row_ids(client.get("/admin/approvals?sort=reseller").text, "approval") == [second.id, first.id]


def test_admin_orders_sort_by_reseller_and_total(client, staff):
    cheap, dear = make_product(price=Decimal("10.00")), make_product(price=Decimal("90.00"))
    zeta, acme = make_user(reseller=make_reseller(name="Zeta")), make_user(reseller=make_reseller(name="acme"))
    first = make_order(zeta, lines=[(cheap, 1)])
    second = make_order(acme, lines=[(dear, 1)])
    db.session.commit()
    assert row_ids(client.get("/admin/orders/?sort=reseller").text, "order") == [second.id, first.id]
    html = client.get("/admin/orders/?sort=total").text
    assert row_ids(html, "order") == [first.id, second.id] and "1–2 of 2" in html


def test_admin_products_sort_by_price_vendor_and_category(client, staff):
    cheap = make_product(name="Zeta AV", price=Decimal("5.00"))
    dear = make_product(name="alpha Suite", price=Decimal("50.00"))
    db.session.commit()
    html = client.get("/admin/catalog/?sort=-price").text
    assert row_ids(html, "product") == [dear.id, cheap.id] and header(html, "Reseller price") == "descending"
    assert row_ids(client.get("/admin/catalog/?sort=price").text, "product") == [cheap.id, dear.id]
    assert row_ids(client.get("/admin/catalog/?sort=name").text, "product") == [dear.id, cheap.id]
    by_vendor = sorted((cheap, dear), key=lambda p: (p.vendor.name.lower(), p.name.lower()))
    assert row_ids(client.get("/admin/catalog/").text, "product") == [p.id for p in by_vendor]
    by_category = sorted((cheap, dear), key=lambda p: (p.category.name.lower(), p.name.lower()), reverse=True)
    assert row_ids(client.get("/admin/catalog/?sort=-category").text, "product")[0] == by_category[0].id
    assert "1–2 of 2" in html


@pytest.mark.parametrize("plural, singular, make", [("vendors", "vendor", make_vendor),
                                                    ("categories", "category", make_category)])
def test_vendors_and_categories_sort_by_name_slug_products_and_status(client, staff, plural, singular, make):
    busy, idle = make("beta Soft"), make("Alpha Labs")
    idle.slug, idle.active = "zz-alpha", False
    for _ in range(2):
        make_product(**{singular: busy})
    db.session.commit()
    html = client.get(f"/admin/catalog/{plural}/").text
    assert row_ids(html, singular) == [idle.id, busy.id] and header(html, "Name") == "ascending"  # by name, any case
    assert row_ids(client.get(f"/admin/catalog/{plural}/?sort=-name").text, singular) == [busy.id, idle.id]
    assert row_ids(client.get(f"/admin/catalog/{plural}/?sort=slug").text, singular) == [busy.id, idle.id]
    by_products = client.get(f"/admin/catalog/{plural}/?sort=-products").text
    assert row_ids(by_products, singular) == [busy.id, idle.id] and header(by_products, "Products") == "descending"
    assert row_ids(client.get(f"/admin/catalog/{plural}/?sort=products").text, singular) == [idle.id, busy.id]
    assert row_ids(client.get(f"/admin/catalog/{plural}/?sort=status").text, singular) == [idle.id, busy.id]
    assert row_ids(client.get(f"/admin/catalog/{plural}/?sort=bogus").text, singular) == [idle.id, busy.id]
    assert "1–2 of 2" in html


def test_subscriptions_sort_by_quantity_customer_and_term_end_for_resellers_and_staff(client, login):
    user = make_user()
    acme, zed = make_customer(user.reseller, code="ACME"), make_customer(user.reseller, code="zed")
    now = utcnow()
    small = make_subscription(user, zed, quantity=2, at=now - timedelta(days=100))
    large = make_subscription(user, acme, quantity=9, at=now - timedelta(days=10))
    login(user)
    html = client.get("/subscriptions/?sort=-quantity").text
    assert row_ids(html, "subscription") == [large.id, small.id] and header(html, "Quantity") == "descending"
    assert row_ids(client.get("/subscriptions/?sort=quantity").text, "subscription") == [small.id, large.id]
    assert row_ids(client.get("/subscriptions/?sort=customer").text, "subscription") == [large.id, small.id]
    assert row_ids(client.get("/subscriptions/?sort=term_end").text, "subscription") == [small.id, large.id]
    assert row_ids(client.get("/subscriptions/").text, "subscription") == [large.id, small.id]  # newest first
    assert row_ids(client.get("/subscriptions/?sort=bogus").text, "subscription") == [large.id, small.id]
    login(make_user(Role.STAFF))
    staff_html = client.get("/admin/subscriptions/?sort=-quantity").text
    assert row_ids(staff_html, "subscription") == [large.id, small.id] and header(staff_html, "Reseller") == "none"


@pytest.mark.parametrize("path, kind", [("/admin/imports/", "import"), ("/admin/outbox/", "email"),
                                        ("/admin/audit/", None), ("/admin/approvals", "approval"),
                                        ("/admin/orders/", "order"), ("/admin/catalog/", "product")])
def test_a_sort_a_list_does_not_offer_shows_its_default_order(client, staff, path, kind):
    user = make_user()
    make_import(user, "One")
    make_import(user, "Two")
    make_email("One")
    make_email("Two")
    make_order(user)
    make_order(user)
    db.session.add(AuditEvent(action="x.y", actor_id=staff.id))
    db.session.commit()
    default = client.get(path).text
    for bad in BAD_SORTS:
        for cursor in ("", "&before=abc-", "&before=zz-1"):
            response = client.get(f"{path}?sort={bad}{cursor}")
            assert response.status_code == 200
            if kind:
                assert row_ids(response.text, kind) == row_ids(default, kind)


@pytest.mark.parametrize("path", ["/admin/imports/", "/admin/outbox/", "/admin/audit/", "/admin/orders/",
                                  "/admin/catalog/", "/admin/subscriptions/"])
def test_the_filter_form_keeps_the_sort(client, staff, path):
    assert '<input type="hidden" name="sort" value="-status">' in client.get(f"{path}?sort=-status").text
    assert 'name="sort"' not in client.get(path).text.split('id="results"')[0]
    escaped = client.get(f'{path}?sort="><b>').text
    assert '"><b>' not in escaped and 'value="&#34;&gt;&lt;b&gt;"' in escaped
