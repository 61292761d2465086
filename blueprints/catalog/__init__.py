"""Browsing the catalog: brands, their categories, products and search as you type."""
from flask import Blueprint
from flask_login import current_user
from jinja2 import pass_context

from blueprints.formatting import current_viewer
from extensions import login_manager
from services.catalog.price_terms import price_basis

bp = Blueprint("catalog", __name__, url_prefix="/catalog")


@bp.app_template_filter("price_basis")
@pass_context
def price_basis_filter(context, product, billing_type: str | None = None) -> str:
    """{{ product|price_basis }}: "per user and month, 1-year commitment", everywhere, in the render's catalog."""
    viewer = context.get("viewer") or current_viewer()
    return price_basis(product, billing_type, viewer.translations.ugettext)


@bp.before_request
def require_login():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


from blueprints.catalog import views  # noqa: F401
