"""Guards shared by the reseller areas (cart, checkout, licenses, customers, provisioning, imports, team)."""
from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from blueprints.security import SAFE_METHODS
from extensions import login_manager

# A viewer (models.TeamRole.VIEWER) reads only. These are the writes a viewer may still make: each concerns
# the viewer's own login and settings, or is a public page where a token is the credential, not the user.
VIEWER_MAY_WRITE_IN = {
    "auth": "their own login: log in and out, their own password (and two-factor), set-password links",
}
VIEWER_MAY_WRITE = {
    "main.preferences_update": "their own language and time zone",
    "main.switch_language": "the header's language switch, saved on their own account",
    "admin.stop_impersonation": "staff acting as a viewer hand the session back",
    "activation.confirm": "public page for the end customer: the unguessable token is the credential",
}


def require_reseller():
    """Only a reseller's users: anonymous -> the login page, anyone else -> 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_reseller:
        abort(403)
    return None


def require_team_admin():
    """Only a reseller's admins (models.TeamRole.ADMIN)."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_team_admin:
        abort(403)
    return None


def refuse_viewer_writes():
    """The one check that keeps viewers read-only: any request but GET/HEAD/OPTIONS to a route answers 403,
    except the few in VIEWER_MAY_WRITE(_IN). tests/team/test_viewer_crawl.py tries every route of the URL map."""
    if request.method in SAFE_METHODS or request.url_rule is None:
        return None  # an unknown URL or method answers 404/405 as for anyone
    if request.blueprint in VIEWER_MAY_WRITE_IN or request.endpoint in VIEWER_MAY_WRITE:
        return None
    if current_user.is_authenticated and current_user.is_viewer:
        reason = _("Your role in your team is viewer: you can look at everything, but not change anything. "
                   "Ask an admin of your team if you need more.")
        return render_template("errors/error.html", error=Forbidden(), reason=reason), 403
    return None
