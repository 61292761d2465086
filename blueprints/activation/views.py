from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import force_locale

from blueprints.activation import bp
from blueprints.auth.forms import EmptyForm
from models import db
from services.orders import assignments
from services.orders.assignments import ActivationError

STATUS = {"open": 200, "activated": 200, "expired": 410}


@bp.after_request
def keep_out_of_caches(response):
    # The page shows license keys: no shared cache keeps it, no search engine lists it.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/<token>")
def show(token: str):
    assignment = assignments.by_token(token)
    if assignment is None:
        return render_template("activation/unknown.html"), 404
    state = assignment.link_state
    with force_locale(_reader_language(assignment)):
        return render_template("activation/show.html", assignment=assignment, state=state,
                               licenses=assignment.licenses if state == "open" else [],
                               confirmed=request.args.get("confirmed") == "1"), STATUS[state]


def _reader_language(assignment) -> str:
    """The end customer's language (as in the e-mail), unless the visitor picked one with the switch."""
    language = session.get("locale") or assignment.customer.language
    return language if language in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


@bp.post("/<token>")
def confirm(token: str):
    assignment = assignments.by_token(token)
    if assignment is None:
        return render_template("activation/unknown.html"), 404
    if EmptyForm().validate_on_submit():
        try:
            assignments.activate(assignment)
        except ActivationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            return redirect(url_for("activation.show", token=token, confirmed=1), 303)
    return redirect(url_for("activation.show", token=token), 303)
