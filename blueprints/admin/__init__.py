"""The distributor's staff area. One guard for everything under /admin."""
from flask import Blueprint, abort
from flask_login import current_user

from extensions import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_staff():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_staff:
        abort(403)


from blueprints.admin import views  # noqa: F401
