"""What the subscription pages show, shared by the reseller's pages and the staff's (blueprints/admin)."""
from __future__ import annotations

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from models import BILLING_TYPES, Subscription, SubscriptionStatus, utcnow
from services.billing import ledger, statements
from services.numbers import page_number
from services.subscriptions import listing, terms, timeline


def list_context(args: MultiDict, reseller_id: int | None) -> dict:
    """The list page's context; `reseller_id` None: staff, every reseller's subscriptions."""
    now = utcnow()
    filters = listing.parse_filters(args, staff=reseller_id is None)
    sort = listing.sort_of(args.get("sort"), filters)
    page = listing.subscriptions_page(filters, now, args.get("page", 1, type=page_number), reseller_id=reseller_id,
                                      sort=sort)
    return {"page": page, "filters": filters, "choices": listing.filter_choices(reseller_id), "now": now,
            "statuses": list(SubscriptionStatus), "renewing_days": listing.RENEWING_DAYS, "terms": terms,
            "staff": reseller_id is None, "sort": sort}


def page_context(subscription: Subscription) -> dict:
    now = utcnow()
    lots = timeline.current_lots(subscription)
    return {"sub": subscription, "now": now, "term": terms.term_of(subscription.billing_type),
            "billing_label": _(BILLING_TYPES.get(subscription.billing_type, subscription.billing_type)),
            "window": timeline.window(subscription, now), "lots": lots,
            "lot_windows": [(lot, terms.hours_left(lot.cancellable_until, now)) for lot in lots
                            if lot.removable(now) and lot.added_at > subscription.term_start],
            "events": timeline.events(subscription.id), "event_labels": timeline.EVENT_LABELS,
            "product": subscription.product, "customer": subscription.customer, "vendor": subscription.product.vendor,
            "charges": statements.charges_of(subscription.reseller_id, subscription_id=subscription.id),
            "charge_kinds": ledger.KIND_LABELS}


def attachment(filename: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in filename)
    return f'attachment; filename="{safe}"'
