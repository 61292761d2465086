"""A reseller's admins manage their own team: invite, change roles, disable and enable their users, two-factor."""
from flask import Blueprint

from blueprints.guards import require_team_admin

bp = Blueprint("team", __name__, url_prefix="/team")
bp.before_request(require_team_admin)

from blueprints.team import two_factor, views  # noqa: F401
