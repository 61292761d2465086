"""My imports: every import of the reseller, live while any is pending or running; cancel and retry."""
from flask import Blueprint

from blueprints.guards import require_reseller

bp = Blueprint("imports", __name__, url_prefix="/imports")
bp.before_request(require_reseller)

from blueprints.imports import poll, upload, views  # noqa: E402, F401

bp.record_once(lambda state: poll.install(state.app))  # the unchanged poll's 304, before the app's other hooks
