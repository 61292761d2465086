"""Guards shared by the reseller areas (cart, checkout, licenses, customers, provisioning, imports)."""
from flask import abort
from flask_login import current_user

from extensions import login_manager


def require_reseller():
    """Only a reseller's users: anonymous -> the login page, anyone else -> 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_reseller:
        abort(403)
    return None
