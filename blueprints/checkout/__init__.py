"""The multi-step checkout: one URL per step, state in the database, placing the order once."""
from flask import Blueprint

from blueprints.guards import require_reseller

bp = Blueprint("checkout", __name__, url_prefix="/checkout")
bp.before_request(require_reseller)

from blueprints.checkout import views  # noqa: F401
