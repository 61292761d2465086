"""The staff dashboard: the four counters with their links, and the weekly chart drawn as an SVG."""
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from models import EmailStatus, ImportStatus, License, LicenseStatus, OrderStatus, OutboxEmail, Role, db, utcnow
from services import dashboard
from tests.factories import make_order, make_product, make_user
from tests.provisioning import cloud_setup, schedule

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


@pytest.fixture
def staff(login):
    return login(make_user(Role.STAFF))


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def dated_order(user, quantity: int, when: datetime, **kw):
    """An order placed at `when`, its licenses created then too."""
    order = make_order(user, lines=[(make_product(), quantity)], created_at=when, **kw)
    db.session.execute(db.update(License).where(License.order_line_id == order.lines[0].id)
                       .values(created_at=when))
    return order


def test_weekly_activity_has_13_iso_weeks_with_zeros_and_counts_per_week():
    today = utcnow().date()
    monday = dashboard.week_start(today)
    user = make_user()
    dated_order(user, 3, at(monday))                              # this week
    dated_order(user, 2, at(monday - timedelta(days=1), 23))      # last Sunday, late
    dated_order(user, 4, at(monday - timedelta(weeks=12), 0))     # first hour of the 13th week back
    dated_order(user, 7, at(monday - timedelta(weeks=12)) - timedelta(hours=13))  # just too old
    rejected = dated_order(user, 5, at(monday), status=OrderStatus.REJECTED)
    db.session.execute(db.update(License).where(License.order_line_id == rejected.lines[0].id)
                       .values(status=LicenseStatus.VOID))
    weeks = dashboard.weekly_activity(today)
    assert len(weeks) == 13 and weeks[-1].start == monday and weeks[0].start == monday - timedelta(weeks=12)
    assert all(w.start.weekday() == 0 for w in weeks)
    assert [(w.orders, w.licenses) for w in (weeks[-1], weeks[-2], weeks[0])] == [(2, 3), (1, 2), (1, 4)]
    assert sum(w.orders for w in weeks) == 4 and sum(w.licenses for w in weeks) == 9  # void units left out


def test_attention_counts():
    make_order(status=OrderStatus.PENDING)
    make_order(status=OrderStatus.APPROVED)
    db.session.add(OutboxEmail(to_addr="a@x.test", template="t", subject="s", body_text="b", status=EmailStatus.FAILED))
    user, customer, product = cloud_setup()
    soon = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=3))
    schedule(user, customer, product, run_at=utcnow() + timedelta(days=3))
    failed = schedule(user, customer, product, run_at=utcnow() + timedelta(hours=1))
    failed.status = ImportStatus.FAILED
    db.session.flush()
    counts = dashboard.attention()
    assert counts == dashboard.Attention(pending_approvals=1, failed_imports=1, failed_emails=1, imports_due_soon=1)
    assert soon.status is ImportStatus.PENDING


def test_dashboard_shows_the_counters_linking_to_filtered_lists(client, staff):
    make_order(status=OrderStatus.PENDING)
    db.session.commit()
    html = client.get("/admin/").text
    assert re.search(r'href="/admin/approvals" id="approvals-count"><strong>1</strong>', html)
    assert 'href="/admin/imports/?status=FAILED" id="failed-imports-count"' in html
    assert 'href="/admin/outbox/?status=FAILED" id="failed-emails-count"' in html
    assert re.search(r'href="/admin/imports/\?(status=PENDING&amp;due=24h|due=24h&amp;status=PENDING)"', html)


def test_chart_is_an_accessible_svg_with_13_weekly_points(client, staff):
    make_order(lines=[(make_product(), 6)])
    db.session.commit()
    html = client.get("/admin/").text
    svg = re.search(r"<svg .*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="weekly-chart-title weekly-chart-desc"' in svg
    assert '<title id="weekly-chart-title">Orders and licenses per week, last 13 weeks</title>' in svg
    assert "Totals: 1 orders, 6 licenses" in svg
    assert svg.count('<circle class="chart-point"') == 13
    assert svg.count('<rect class="chart-bar"') == 13
    assert "Week starting (UTC)" in svg and ">Count</text>" in svg
    assert "style=" not in svg and "<script" not in svg  # CSP: presentation attributes only
    monday = dashboard.week_start(utcnow().date())
    assert f"Week of {monday}: 6 licenses" in svg and f"Week of {monday}: 1 orders" in svg
    heights = [float(h) for h in re.findall(r'class="chart-bar" [^>]*height="([\d.]+)"', svg)]
    assert heights[-1] > 0 and heights[:-1] == [0.0] * 12


def test_chart_scale_ticks_are_whole_numbers_covering_the_maximum():
    weeks = [dashboard.Week(date(2026, 1, 5) + timedelta(weeks=n), n, 3 * n) for n in range(13)]
    chart = dashboard_chart(weeks)
    values = [v for v, _ in chart.ticks]
    assert values[0] == 0 and values[-1] >= 36 and all(isinstance(v, int) for v in values)
    assert chart.points[-1].bar_y == chart.top or chart.points[-1].bar_height > 0
    assert chart.points[0].dot_y == chart.bottom  # zero sits on the axis


def dashboard_chart(weeks):
    from blueprints.admin.dashboard import build_chart

    return build_chart(weeks)
