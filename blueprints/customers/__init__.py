"""A reseller's end customers."""
from flask import Blueprint

from blueprints.guards import require_reseller

bp = Blueprint("customers", __name__, url_prefix="/customers")
bp.before_request(require_reseller)

from blueprints.customers import views  # noqa: F401
