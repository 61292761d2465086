from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import render
from blueprints.auth.forms import EmptyForm
from blueprints.imports import bp
from extensions import htmx
from models import db
from services.imports import imports, listing
from services.imports.imports import ImportStateError
from services.numbers import parse_int, query_id


def _list_args() -> dict:
    """The listing's state, all in the query string so reload, back and the poll keep it."""
    args = {"sort": request.args.get("sort", "created"), "dir": request.args.get("dir", "desc"),
            "per_page": parse_int(request.args.get("per_page")) or listing.PER_PAGE_CHOICES[0]}
    for key in ("after", "before"):
        if request.args.get(key):
            args[key] = request.args[key][:60]
    return args


@bp.get("/")
def index():
    args = _list_args()
    page = listing.list_imports(current_user.reseller_id, args["sort"], args["dir"], args["per_page"],
                                after=args.get("after"), before=args.get("before"))
    open_ids = set(request.args.getlist("open", type=query_id)) & {imp.id for imp in page.items}
    polling = page.active
    html = render("imports/index.html", block="imports_table", page=page, args=args, polling=polling,
                  open_items=listing.items_by_import(sorted(open_ids)),
                  per_page_choices=listing.PER_PAGE_CHOICES)
    # 286 tells htmx to stop polling: nothing is pending or running any more.
    return html, 286 if htmx and not htmx.boosted and not polling else 200


@bp.get("/<int:import_id>/items")
def items(import_id: int):
    imp = _import_or_404(import_id)
    shown = request.args.get("hide") is None
    return render_template("imports/_items_row.html", imp=imp,
                           items=listing.items_by_import([imp.id])[imp.id] if shown else None)


@bp.post("/<int:import_id>/cancel")
def cancel(import_id: int):
    _import_or_404(import_id)
    return _act(import_id, imports.cancel_import, _("The import was cancelled."))


@bp.post("/<int:import_id>/retry")
def retry(import_id: int):
    _import_or_404(import_id)
    return _act(import_id, imports.retry_import, _("The import will run again now."))


def _act(import_id: int, action, message: str):
    if not EmptyForm().validate_on_submit():
        flash(_("The form expired; please try again."), "error")
    else:
        try:
            action(current_user.reseller_id, import_id, current_user)
            db.session.commit()
            flash(message, "success")
        except ImportStateError as exc:
            db.session.rollback()
            flash(str(exc), "error")
    return redirect(request.form.get("back") if _safe_back() else url_for("imports.index"), 303)


def _safe_back() -> bool:
    back = request.form.get("back", "")
    return back.startswith("/imports/") and not back.startswith("//")


def _import_or_404(import_id: int):
    imp = listing.get_import(current_user.reseller_id, import_id)
    if imp is None:
        abort(404)
    return imp
