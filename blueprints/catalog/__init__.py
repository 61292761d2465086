"""Browsing the catalog: brands, their categories, products and search as you type."""
from flask import Blueprint
from flask_login import current_user

from extensions import login_manager

bp = Blueprint("catalog", __name__, url_prefix="/catalog")


@bp.before_request
def require_login():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


from blueprints.catalog import views  # noqa: F401
