"""The reseller user's cart."""
from flask import Blueprint

from blueprints.guards import require_reseller

bp = Blueprint("cart", __name__, url_prefix="/cart")
bp.before_request(require_reseller)

from blueprints.cart import views  # noqa: F401
