"""The demo seed shows a subscription in each interesting state, and seeding again adds nothing."""
import pytest
import sqlalchemy as sa

from models import Subscription, SubscriptionEvent, SubscriptionStatus, db, utcnow
from services import demo
from services.subscriptions import listing

pytestmark = pytest.mark.usefixtures("app")


def test_demo_subscriptions_cover_each_state_once():
    demo.seed()
    demo.seed()
    db.session.commit()
    subs = {s.external_id: s for s in db.session.scalars(sa.select(Subscription))}
    assert len(subs) == 8
    now = utcnow()
    andes = subs["demo-window-open"].reseller_id

    def listed(**filters):
        page = listing.subscriptions_page(listing.Filters(**filters), now, reseller_id=andes)
        return {row.Subscription.external_id for row in page.items}

    assert "demo-window-open" in listed() and "demo-other-reseller" not in listed()
    assert listed(closing=True) == {"demo-window-closing"}
    assert listed(renewing=30) == {"demo-renewing"}
    assert listed(auto_renew_off=True) == {"demo-auto-renew-off"}
    assert subs["demo-cancelled"].status is SubscriptionStatus.CANCELLED
    assert subs["demo-expired"].status is SubscriptionStatus.EXPIRED and subs["demo-expired"].term_end < now
    assert subs["demo-window-open"].quantity == 12
    credit = db.session.scalar(sa.select(SubscriptionEvent.details).where(
        SubscriptionEvent.subscription_id == subs["demo-cancelled"].id, SubscriptionEvent.kind == "cancelled"))
    assert credit["credit"] == "12.98"  # 2 x 7.20 charged; cancelled on day 3: 172.80 x 3 / 365 = 1.42 used


def test_the_demo_has_a_scheduled_change_pending_once():
    from services.subscriptions import actions

    demo.seed()
    demo.seed()
    db.session.commit()
    renewing = db.session.scalar(sa.select(Subscription).where(Subscription.external_id == "demo-renewing"))
    [(imp, item)] = actions.scheduled_changes(renewing.id)
    assert item.quantity == 5 and item.config["at_renewal"] and imp.run_at < renewing.term_end
