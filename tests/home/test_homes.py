"""Each role's home lists what it acts on, each item linking to where it is done; empty states when nothing waits
(issue 23, section 2). The reseller's lists never show another reseller's rows."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from models import EmailStatus, ImportStatus, OrderStatus, OutboxEmail, Role, Subscription, db, utcnow
from services import dashboard, ops_dashboard, reseller_dashboard
from services.orders import assignments
from tests.factories import make_customer, make_order, make_product, make_reseller, make_user
from tests.provisioning import cloud_setup, schedule

pytestmark = pytest.mark.usefixtures("app")


def subscription(user, customer, product, renews_in: timedelta = timedelta(days=300), **kw) -> Subscription:
    now = utcnow()
    kw = {"term_start": now - timedelta(days=365) + renews_in, "term_end": now + renews_in,
          "price_protected_until": now + renews_in, **kw}
    sub = Subscription(**{"reseller_id": user.reseller_id, "customer_id": customer.id, "product_id": product.id,
                          "name": "Microsoft 365 Business", "quantity": 5, "billing_type": "P1Y-monthly",
                          "unit_price": Decimal("10.00"), "unit_cost": Decimal("8.00"),
                          "cancellable_until": utcnow() + timedelta(days=7), **kw})
    db.session.add(sub)
    db.session.flush()
    return sub


def test_a_reseller_with_nothing_to_do_sees_empty_states(client, login):
    login(make_user())
    html = client.get("/").text
    assert 'id="all-clear"' in html
    assert "No order is waiting for the distributor." in html
    assert "No cancellation window closes in the next 24 hours." in html
    assert "Nothing is scheduled for the next 7 days." in html


def test_the_resellers_home_links_each_item_to_where_it_is_done(client, login):
    user = make_user()
    pending = make_order(user)
    approved = make_order(user, lines=[(make_product(), 3)], status=OrderStatus.APPROVED)
    customer = make_customer(user.reseller, name="Closing Soon S.A.")
    assignment = assignments.assign_licenses(approved, approved.lines[0].id, customer, 1, user)
    db.session.flush()
    email = assignments.emails_of(assignment)[0]
    email.status = EmailStatus.FAILED
    _, _, cloud = cloud_setup()
    closing = subscription(user, customer, cloud, cancellable_until=utcnow() + timedelta(hours=5))
    subscription(user, customer, cloud, name="Far away", cancellable_until=utcnow() + timedelta(days=5))
    renewing = subscription(user, customer, cloud, name="Renews soon", renews_in=timedelta(days=10))
    other = make_user()  # another reseller's pending order and failed e-mail are not shown
    make_order(other)
    login(user)
    html = client.get("/").text

    assert f'href="/licenses/orders/{pending.id}"' in html  # pending approval
    assert f'href="/licenses/orders/{approved.id}#assign"' in html and "2 licenses to assign" in html
    assert f'href="/licenses/orders/{approved.id}#assignments">{email.to_addr}' in html
    assert f'href="/subscriptions/{closing.id}">{closing.name}' in html and 'href="/subscriptions/?closing=1"' in html
    assert "Far away" not in html.split('id="closing-windows"')[1].split("</article>")[0]
    assert renewing.name in html.split('id="renewals"')[1].split("</article>")[0]
    home = reseller_dashboard.reseller_home(user.reseller_id)
    assert home.pending_orders.total == 1 and home.ready_to_assign.total == 2
    assert home.failed_activation_emails.total == 1 and home.closing_windows.total == 1
    assert [r.name for r in home.renewals.rows] == ["Renews soon"]


def test_scheduled_provisionings_of_the_next_7_days_and_recent_failures():
    user, customer, product = cloud_setup()
    soon = schedule(user, customer, product, run_at=utcnow() + timedelta(days=2))
    schedule(user, customer, product, run_at=utcnow() + timedelta(days=9))
    failed = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=1))
    failed.status = ImportStatus.FAILED
    db.session.flush()
    home = reseller_dashboard.reseller_home(user.reseller_id)
    assert [i.id for i in home.scheduled.rows] == [soon.id]
    assert home.failed_imports == 1 and home.recent_imports.total == 3
    assert reseller_dashboard.reseller_home(make_user().reseller_id).recent_imports.total == 0


def test_the_staffs_home_lists_orders_to_approve_with_their_age_and_the_months_sales(client, login):
    buyer = make_user(reseller=make_reseller(name="Andes Software"))
    old = make_order(buyer, created_at=utcnow() - timedelta(days=3))
    make_order(buyer, status=OrderStatus.APPROVED, lines=[(make_product(price=Decimal("250.00")), 2)])
    make_order(buyer, status=OrderStatus.APPROVED, created_at=datetime(2020, 1, 1, tzinfo=UTC))  # not this month
    db.session.add(OutboxEmail(to_addr="a@x.test", template="t", subject="s", body_text="b", status=EmailStatus.FAILED))
    login(make_user(Role.STAFF))
    html = client.get("/").text
    assert f'href="/admin/approvals/{old.id}"' in html and "waiting 3 days" in html and "Andes Software" in html
    assert "1 failed e-mail" in html and 'href="/admin/outbox/?status=FAILED"' in html
    sales = dashboard.sales_since(datetime.combine(utcnow().date().replace(day=1), datetime.min.time(), tzinfo=UTC))
    assert [s.orders for s in sales] == [1] and sales[0].total >= Decimal("500.00")
    assert 'id="sales"' in html and "1 order" in html


def test_imports_due_between_counts_pending_imports_in_the_window():
    user, customer, product = cloud_setup()
    now = utcnow()
    schedule(user, customer, product, run_at=now + timedelta(minutes=5))
    schedule(user, customer, product, run_at=now + timedelta(days=2))
    assert dashboard.imports_due_between(now, now + timedelta(hours=1)) == 1
    assert dashboard.imports_due_between(now, now + timedelta(days=3)) == 2


def test_the_ops_home_shows_the_machinery_and_links_to_rq_and_metrics(client, login):
    login(make_user(Role.OPS))
    db.session.add(OutboxEmail(to_addr="a@x.test", template="t", subject="s", body_text="b"))
    db.session.commit()
    html = client.get("/").text
    assert 'href="/ops/rq/"' in html and 'href="/ops/metrics"' in html
    assert 'id="ops-outbox">1' in html
    assert "no heartbeat" in html  # no scheduler runs in the tests
    status = ops_dashboard.ops_status()
    assert [q.name for q in status.queues] == ["default", "mail", "maintenance"]
    assert status.failed_jobs == 0 and status.sweep_late


def test_staff_menu_on_every_admin_page_marks_the_current_section(client, login):
    login(make_user(Role.STAFF))
    for url, current in (("/admin/", "Dashboard"), ("/admin/orders/", "Orders"), ("/admin/catalog/vendors/", "Catalog"),
                         ("/admin/audit/", "Audit log")):
        html = client.get(url).text
        menu = html.split('id="admin-sections"')[1].split("</nav>")[0]
        assert menu.count('aria-current="page"') == 1, url
        assert f'aria-current="page">{current}</a>' in menu, url
        assert 'class="breadcrumb"' in html


def test_a_reseller_refused_on_an_admin_page_gets_no_admin_menu(client, login):
    login(make_user())
    response = client.get("/admin/orders/")
    assert response.status_code == 403 and 'id="admin-sections"' not in response.text
