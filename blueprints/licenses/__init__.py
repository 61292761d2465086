"""ESD licenses: the reseller's orders, their license pool and cancelling a pending order."""
from flask import Blueprint

from blueprints.guards import require_reseller

bp = Blueprint("licenses", __name__, url_prefix="/licenses")
bp.before_request(require_reseller)

from blueprints.licenses import assign, views  # noqa: F401
