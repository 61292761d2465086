"""The ops area: health, the dev mail catcher's inbox and rq-dashboard, all for the ops role."""
from __future__ import annotations

import rq_dashboard
import rq_dashboard.web
from flask import Blueprint, Flask, abort, make_response, request
from flask_login import current_user

from extensions import csrf, login_manager

bp = Blueprint("ops", __name__, url_prefix="/ops")


def require_ops():
    if not current_user.is_authenticated:
        if request.endpoint == "ops.health":
            return None  # a load balancer asks without logging in; logged-in non-ops users get 403
        return login_manager.unauthorized()
    if not current_user.is_ops:
        abort(403)
    return None


bp.before_request(require_ops)


def init_app(app: Flask) -> None:
    from blueprints.ops import metrics, views  # noqa: F401

    app.register_blueprint(bp)
    for key, value in vars(rq_dashboard.default_settings).items():
        if key.isupper():
            app.config.setdefault(key, value)
    app.config["RQ_DASHBOARD_REDIS_URL"] = app.config["REDIS_URL"]
    rq_dashboard.web.setup_rq_connection(app)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix="/ops/rq")
    # The dashboard's own JavaScript posts without our token; the ops guard and SameSite=Lax cover it.
    csrf.exempt(rq_dashboard.blueprint)

    @app.url_value_preprocessor
    def guard_rq_dashboard(endpoint, values):
        # Runs before the dashboard's own URL preprocessing, so nothing of it answers a non-ops user.
        if request.blueprint == "rq_dashboard":
            denied = require_ops()
            if denied is not None:
                abort(make_response(denied))
