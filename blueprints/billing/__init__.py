"""The reseller's Billing: this month's running charges, past statements, each statement with PDF and CSV."""
from flask import Blueprint

from blueprints.guards import require_reseller

bp = Blueprint("billing", __name__, url_prefix="/billing")
bp.before_request(require_reseller)

from blueprints.billing import views  # noqa: F401
