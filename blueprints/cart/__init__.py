"""The reseller user's cart. Also home of the reseller guard the purchase areas share."""
from flask import Blueprint, abort
from flask_login import current_user

from extensions import login_manager

bp = Blueprint("cart", __name__, url_prefix="/cart")


def require_reseller():
    """Only a reseller's users buy: anyone else is sent to log in (anonymous) or refused (403)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_reseller:
        abort(403)
    return None


bp.before_request(require_reseller)

from blueprints.cart import views  # noqa: F401
