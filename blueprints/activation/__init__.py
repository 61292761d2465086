"""The public activation page: the end customer opens the link from the e-mail, sees the keys and
confirms. No login (the unguessable token is the credential); outside /admin and the reseller area."""
from flask import Blueprint

bp = Blueprint("activation", __name__, url_prefix="/activate")

from blueprints.activation import views  # noqa: F401
