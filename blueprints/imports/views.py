from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import render
from blueprints.auth.forms import EmptyForm
from blueprints.imports import bp, poll
from extensions import htmx
from models import ItemStatus, db
from services.imports import imports, listing
from services.imports.imports import ImportStateError
from services.numbers import page_number


@bp.get("/")
def index():
    args = poll.list_args(request.args)
    asked_open = poll.open_ids(request.args)
    active = poll.active_imports(current_user.reseller_id)
    version = poll.version(current_user.reseller_id, request.args, current_user.locale, current_user.timezone, active)
    if poll.is_poll():
        # What this tab shows is still true: 304 (htmx swaps nothing). poll.answer_unchanged_poll answers most of
        # these before the other hooks; this is the same check for the polls it leaves to them.
        if request.if_none_match.contains(version.tag):
            return "", 304, {"ETag": f'"{version.tag}"'}
        if poll.shown_version(version):
            return _changed_rows(active, asked_open, version)
    fragment = htmx and not htmx.boosted  # the poll, or another number of rows per page
    page = listing.list_imports(current_user.reseller_id, args["sort"], args["dir"], args["per_page"],
                                after=args.get("after"), before=args.get("before"), active=bool(active))
    html = render("imports/index.html", block="imports_table", page=page, args=args, polling=page.active,
                  version=version.tag, open_items=listing.open_previews(page.items, set(asked_open)),
                  per_page_choices=listing.PER_PAGE_CHOICES)
    if not fragment:
        return html
    # 286 tells htmx to stop polling: nothing is pending or running any more.
    return html, 200 if page.active else 286, {"ETag": f'"{version.tag}"'}


def _changed_rows(active: list, asked_open: list[int], version) -> tuple:
    """The poll of a tab that lists the same rows as now: only its active imports (which the poll names, ?active=)
    can show something else. Their rows alone (`active`: the reseller's, as listed), and the expanded ones' items,
    swapped out of band; the table stays (HX-Reswap: none) and static/canal.js has the poll name the new version
    from then on."""
    shown = set(poll.active_ids(request.args))
    imports = [row for row in active if row.id in shown]
    html = render_template("imports/_changed_rows.html", imports=imports,
                           open_items=listing.open_previews(imports, set(asked_open)))
    return html, 200, {"ETag": f'"{version.tag}"', "HX-Reswap": "none"}


@bp.get("/<int:import_id>/items")
def items(import_id: int):
    """An expanded row (its first items) or, with ?hide, the collapsed one."""
    imp = _import_or_404(import_id)
    shown = request.args.get("hide") is None
    html = render_template("imports/_items_row.html", imp=imp,
                           preview=listing.open_previews([imp], {imp.id})[imp.id] if shown else None)
    address = _address_with_row(imp.id, shown)
    return html, {"HX-Replace-Url": address} if address else {}


def _address_with_row(import_id: int, shown: bool) -> str | None:
    """My imports' address (the tab's, HX-Current-URL) with this row open or closed (?open=), so a reload or
    coming back shows the same rows expanded; None when the tab is on another page."""
    current = urlsplit(htmx.current_url or "") if htmx else None
    if current is None or current.path != url_for("imports.index"):
        return None
    query = [(k, v) for k, v in parse_qsl(current.query) if (k, v) != ("open", str(import_id))]
    query = urlencode(query + ([("open", str(import_id))] if shown else []))
    return url_for("imports.index") + (f"?{query}" if query else "")


@bp.get("/<int:import_id>")
def show(import_id: int):
    """One import and all its items, a page at a time, of one status if asked (?status=FAILED)."""
    imp = _import_or_404(import_id)
    status = request.args.get("status")
    status = ItemStatus(status) if status in ItemStatus.__members__ else None
    counts = listing.item_counts(imp.id)
    total = counts.get(status, 0) if status else sum(counts.values())
    page = listing.items_page(imp.id, status, request.args.get("page", 1, type=page_number), total)
    return render("imports/show.html", block="items", imp=imp, page=page, status=status, counts=counts,
                  statuses=list(ItemStatus))


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
