"""The New service wizard: select -> terms -> configure -> review, one URL per step, state in a draft row."""
from flask import Blueprint

from blueprints.guards import require_reseller

bp = Blueprint("provisioning", __name__, url_prefix="/customers/<int:customer_id>/services/new")
bp.before_request(require_reseller)

from blueprints.provisioning import views  # noqa: F401
