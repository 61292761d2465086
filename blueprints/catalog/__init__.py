"""Browsing the catalog: brands, their categories, products and search as you type."""
from flask import Blueprint
from flask_login import current_user

from extensions import login_manager
from services.catalog.price_terms import price_basis

bp = Blueprint("catalog", __name__, url_prefix="/catalog")
bp.add_app_template_filter(price_basis, "price_basis")  # "per user and month, 1-year commitment", everywhere


@bp.before_request
def require_login():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


from blueprints.catalog import views  # noqa: F401
