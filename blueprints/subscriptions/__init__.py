"""Subscriptions after provisioning: the list across a reseller's customers, its CSV, and each one's page."""
from flask import Blueprint

from blueprints.guards import require_reseller

bp = Blueprint("subscriptions", __name__, url_prefix="/subscriptions")
bp.before_request(require_reseller)

from blueprints.subscriptions import changes, views  # noqa: F401
