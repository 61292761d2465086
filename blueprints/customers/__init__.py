"""A reseller's end customers. Also home of the reseller guard that provisioning and imports share."""
from flask import Blueprint, abort
from flask_login import current_user

from extensions import login_manager

bp = Blueprint("customers", __name__, url_prefix="/customers")


def require_reseller():
    """Only a reseller's users manage customers and imports: anonymous -> login, anyone else -> 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_reseller:
        abort(403)
    return None


bp.before_request(require_reseller)

from blueprints.customers import views  # noqa: F401
