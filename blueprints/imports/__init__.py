"""My imports: every import of the reseller, live while any is pending or running; cancel and retry."""
from flask import Blueprint

from blueprints.guards import require_reseller

bp = Blueprint("imports", __name__, url_prefix="/imports")
bp.before_request(require_reseller)

from blueprints.imports import upload, views  # noqa: F401
