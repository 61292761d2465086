"""The subscription page, the Subscriptions list with its filters and CSV, and the customer page's links."""
from datetime import timedelta

import pytest

from models import Role, SubscriptionStatus, db, utcnow
from tests.factories import make_customer, make_user
from tests.provisioning import make_cloud_product
from tests.subscriptions import make_subscription


@pytest.fixture
def reseller_user():
    return make_user(name="Rita Reseller")


def test_the_page_shows_term_price_window_and_timeline(client, login, reseller_user):
    customer = make_customer(reseller_user.reseller, name="Acme Corp")
    sub = make_subscription(reseller_user, customer, at=utcnow() - timedelta(days=2, hours=3), quantity=3)
    login(reseller_user)
    body = client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert "Monthly, 1-year commitment" in body and "(P1Y)" in body
    assert "Acme Corp" in body and sub.tenant_id in body and sub.external_id in body
    assert "$7.20" in body and "protected until " + sub.price_protected_until.strftime("%Y-%m-%d %H:%M UTC") in body
    # 7 days minus 2 days 3 hours: 116 whole hours left
    assert f"Cancellable until {sub.cancellable_until:%Y-%m-%d %H:%M} UTC (116 h left)" in body
    assert "Provisioned" in body and "Rita Reseller" in body and "Quantity: 3" in body
    assert 'id="subscription-actions"' in body


def test_after_the_window_the_page_says_so(client, login, reseller_user):
    sub = make_subscription(reseller_user, make_customer(reseller_user.reseller), at=utcnow() - timedelta(days=8))
    login(reseller_user)
    body = client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert "The cancellation window closed on" in body and "h left" not in body


def test_another_resellers_subscription_is_404(client, login, reseller_user):
    sub = make_subscription(reseller_user, make_customer(reseller_user.reseller))
    login(make_user())
    assert client.get(f"/subscriptions/{sub.id}").status_code == 404
    assert f'id="subscription-{sub.id}"' not in client.get("/subscriptions/").get_data(as_text=True)


def _listed(client, query=""):
    body = client.get(f"/subscriptions/{query}").get_data(as_text=True)
    return body


def test_the_list_filters(client, login, reseller_user):
    now = utcnow()
    reseller = reseller_user.reseller
    acme, zed = make_customer(reseller, name="Acme"), make_customer(reseller, name="Zed")
    product = make_cloud_product(accepted_by=reseller)
    fresh = make_subscription(reseller_user, acme, product, at=now - timedelta(days=1))
    closing = make_subscription(reseller_user, zed, at=now - timedelta(days=6, hours=12))
    renewing = make_subscription(reseller_user, acme, at=now - timedelta(days=345), billing_type="P1Y-annual")
    off = make_subscription(reseller_user, zed, at=now - timedelta(days=100), auto_renew=False)
    cancelled = make_subscription(reseller_user, zed, at=now - timedelta(days=3), status=SubscriptionStatus.CANCELLED)
    login(reseller_user)

    def ids(query):
        body = _listed(client, query)
        return {s.id for s in (fresh, closing, renewing, off, cancelled) if f'id="subscription-{s.id}"' in body}

    assert ids("") == {fresh.id, closing.id, renewing.id, off.id, cancelled.id}
    assert ids("?status=CANCELLED") == {cancelled.id}
    assert ids(f"?customer_id={acme.id}") == {fresh.id, renewing.id}
    assert ids(f"?product_id={product.id}") == {fresh.id}
    assert ids("?closing=1") == {closing.id}  # cancelled one's window is not "closing"
    assert ids("?renewing=30") == {renewing.id}
    assert ids("?auto_renew_off=1") == {off.id}
    assert ids("?status=NOPE&renewing=7") == ids("")  # unknown values are no filter


def test_the_list_pages_with_range_and_total(client, login, reseller_user):
    customer = make_customer(reseller_user.reseller)
    product = make_cloud_product(accepted_by=reseller_user.reseller)
    for _ in range(27):
        make_subscription(reseller_user, customer, product)
    login(reseller_user)
    assert "1–25 of 27" in _listed(client)
    assert "26–27 of 27" in _listed(client, "?page=2")


def test_csv_export_takes_the_filters_and_neutralises_formulas(client, login, reseller_user):
    customer = make_customer(reseller_user.reseller, name="=HYPERLINK(evil)")
    make_subscription(reseller_user, customer, auto_renew=False)
    make_subscription(reseller_user, make_customer(reseller_user.reseller, name="Plain"))
    login(reseller_user)
    response = client.get("/subscriptions/export.csv?auto_renew_off=1")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    lines = text.strip().splitlines()
    assert len(lines) == 2 and "'=HYPERLINK(evil)" in lines[1] and "Plain" not in text
    assert "Monthly, 1-year commitment" in lines[1] and ",no," in lines[1]


def test_csv_export_follows_the_lists_sort(client, login, reseller_user):
    customer = make_customer(reseller_user.reseller)
    for quantity in (2, 9, 5):
        make_subscription(reseller_user, customer, quantity=quantity)
    login(reseller_user)
    page = client.get("/subscriptions/?sort=-quantity").get_data(as_text=True)
    assert "sort=-quantity" in page  # the export link carries the sort

    def quantities(url: str) -> list[str]:
        return [line.split(",")[6] for line in client.get(url).get_data(as_text=True).strip().splitlines()[1:]]

    assert quantities("/subscriptions/export.csv?sort=-quantity") == ["9", "5", "2"]
    assert quantities("/subscriptions/export.csv?sort=quantity") == ["2", "5", "9"]


def test_the_customer_page_links_each_subscription(client, login, reseller_user):
    customer = make_customer(reseller_user.reseller)
    sub = make_subscription(reseller_user, customer)
    login(reseller_user)
    assert f'href="/subscriptions/{sub.id}"' in client.get(f"/customers/{customer.id}").get_data(as_text=True)


def test_navigation_shows_subscriptions_to_resellers_only(client, login, reseller_user):
    login(reseller_user)
    assert 'href="/subscriptions/"' in client.get("/customers/").get_data(as_text=True)
    login(make_user(Role.STAFF))
    assert client.get("/subscriptions/").status_code == 403
    db.session.rollback()


def test_seats_added_later_have_their_own_window_on_the_page_and_in_the_closing_filter(client, login, reseller_user):
    from services.subscriptions import timeline

    now = utcnow()
    sub = make_subscription(reseller_user, make_customer(reseller_user.reseller), at=now - timedelta(days=30))
    timeline.add_seats(sub, 2, now - timedelta(days=6, hours=20), sub.unit_price)  # closes in 4 hours
    sub.quantity += 2
    db.session.commit()
    login(reseller_user)
    body = client.get(f"/subscriptions/{sub.id}").get_data(as_text=True)
    assert "2 seats added on" in body and "(3 h left)" in body and 'hx-trigger="every 60s"' in body
    assert f'id="subscription-{sub.id}"' in client.get("/subscriptions/?closing=1").get_data(as_text=True)
