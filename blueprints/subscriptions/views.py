from flask import Response, abort, request, stream_with_context
from flask_login import current_user

from blueprints import reads_in_one_transaction, render
from blueprints.subscriptions import bp
from blueprints.subscriptions.context import attachment, list_context, page_context
from models import Subscription, utcnow
from services.subscriptions import listing


def own_subscription(subscription_id: int) -> Subscription:
    """The subscription if it is this reseller's; another reseller's does not exist (404)."""
    return listing.reseller_subscription(current_user.reseller_id, subscription_id) or abort(404)


@bp.get("/")
def index():
    return render("subscriptions/index.html", block="results",
                  **list_context(request.args, reseller_id=current_user.reseller_id))


@bp.get("/export.csv")
@reads_in_one_transaction
def export():
    filters = listing.parse_filters(request.args)
    chunks = listing.csv_export(filters, utcnow(), reseller_id=current_user.reseller_id,
                                sort=listing.sort_of(request.args.get("sort"), filters))
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": attachment(f"subscriptions-{utcnow():%Y%m%d}.csv"),
                             "Cache-Control": "no-store"})


@bp.get("/<int:subscription_id>")
def show(subscription_id: int):
    return render("subscriptions/show.html", **page_context(own_subscription(subscription_id)))
