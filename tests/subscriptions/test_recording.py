"""Every new subscription gets its term, a "provisioned" event and its first seat lot, however it was created."""
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from jobs.provisioning import run_due_imports
from models import (
    ImportItem,
    SubscriptionEvent,
    SubscriptionEventKind,
    SubscriptionSeats,
    SubscriptionStatus,
    db,
)
from services.provisioning import provisioning, provisioning_rules
from services.subscriptions import timeline
from tests.provisioning import cloud_setup, due_now, schedule, subscriptions_of

pytestmark = pytest.mark.usefixtures("app")


def test_the_import_engine_records_the_term_the_provisioned_event_and_the_first_lot():
    user, customer, product = cloud_setup(price=Decimal("7.20"))
    imps = [due_now(user, customer, product, quantity=3, billing_type="P1Y-monthly") for _ in range(2)]
    assert run_due_imports() == 2
    db.session.expire_all()
    for imp in imps:
        [sub] = subscriptions_of(imp.id)
        assert sub.term_start == sub.created_at and sub.auto_renew and sub.status is SubscriptionStatus.ACTIVE
        assert sub.term_end == sub.price_protected_until == sub.next_renewal
        assert sub.term_end.replace(year=sub.term_end.year - 1) == sub.term_start  # P1Y (not on a Feb 29)
        assert sub.cancellable_until == sub.term_start + timedelta(days=7)
        [event] = timeline.events(sub.id)
        assert (event.kind, event.at, event.actor_id) == (SubscriptionEventKind.PROVISIONED, sub.created_at, user.id)
        assert event.details == {"quantity": 3, "unit_price": "7.20", "currency": "USD",
                                 "billing_type": "P1Y-monthly", "term_end": sub.term_end.isoformat()}
        [lot] = timeline.current_lots(sub)
        assert (lot.quantity, lot.removed, lot.unit_price) == (3, 0, Decimal("7.20"))
        assert (lot.added_at, lot.cancellable_until) == (sub.term_start, sub.cancellable_until)
        assert timeline.removable_seats(sub, sub.term_start + timedelta(days=6)) == 3
        assert timeline.removable_seats(sub, sub.cancellable_until) == 0


def test_a_single_provisioning_records_them_too():
    user, customer, product = cloud_setup()
    imp = schedule(user, customer, product, run_at=None, quantity=2, billing_type="monthly")
    item = db.session.get(ImportItem, imp.items[0].id)
    sub = provisioning.record_subscription(imp, item, "ext-1", provisioning_rules.Facts())
    db.session.flush()
    assert sub.term_end.month == sub.term_start.month % 12 + 1  # P1M
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SubscriptionEvent)
                             .where(SubscriptionEvent.subscription_id == sub.id)) == 1
    assert db.session.scalar(sa.select(SubscriptionSeats.quantity)
                             .where(SubscriptionSeats.subscription_id == sub.id)) == 2
