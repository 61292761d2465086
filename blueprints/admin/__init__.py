"""The distributor's staff area. One guard for everything under /admin."""
from flask import Blueprint, abort, request, session
from flask_login import current_user

from extensions import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")
IMPERSONATOR_KEY = "impersonator"  # session key: the staff user's login id while they act as someone else


@bp.before_request
def require_staff():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if request.endpoint == "admin.stop_impersonation" and session.get(IMPERSONATOR_KEY):
        return None  # the impersonated reseller user hands the session back to the staff member
    if not current_user.is_staff:
        abort(403)


def args_without(*keys: str) -> dict[str, str]:
    """The current query string minus `keys` (and empty values), for links that keep a list's filters."""
    return {k: v for k, v in request.args.items() if k not in keys and v != ""}


from blueprints.admin import (  # noqa: F401
    approvals,
    audit,
    billing,
    catalog,
    dashboard,
    impersonation,
    imports,
    orders,
    outbox,
    price_lists,
    resellers,
    subscriptions,
    two_factor,
    views,
)
