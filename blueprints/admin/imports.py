"""Imports of every reseller: filter by reseller, status and run date; retry a FAILED one, cancel a PENDING one;
one import's items."""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice, SelectField
from wtforms.validators import Optional

from blueprints import render
from blueprints.admin import args_without, bp
from blueprints.admin.orders import DatedFilterForm, day_range
from blueprints.auth.forms import EmptyForm
from blueprints.formatting import status_label
from models import Import, ImportStatus, ItemStatus, db
from services import DomainError, staff_lists
from services.imports import imports, listing, staff_cancel
from services.numbers import page_number
from services.paging import parse_sort

FIRST_FAILED = 3  # failed items whose reasons the list shows under a FAILED import; the rest on its page
DUE_CHOICES = {"24h": _l("Due in the next 24 hours"), "overdue": _l("Due and not run yet")}


class ImportFilterForm(DatedFilterForm):
    status = SelectField(_l("Status"), validators=[Optional()],
                         choices=[SelectChoice("", _l("All"))] + [SelectChoice(s.value, status_label(s.value))
                                                                 for s in ImportStatus])
    due = SelectField(_l("Run time"), validators=[Optional()],
                      choices=[SelectChoice("", _l("Any"))] + [SelectChoice(k, v) for k, v in DUE_CHOICES.items()])


@bp.get("/imports/")
def imports_index():
    form = ImportFilterForm(formdata=request.args)
    if not form.validate():
        return render("admin/imports.html", block="results", form=form, page=None, filters={}), 422
    start, end = day_range(form.since.data, form.until.data)
    status = ImportStatus(form.status.data) if form.status.data else None
    sort = parse_sort(request.args.get("sort"), staff_lists.IMPORT_SORTS, "-created")
    page = staff_lists.imports_page(sort, reseller_id=form.reseller.data, status=status, start=start, end=end,
                                    due=form.due.data or "", cursor=request.args.get("before"))
    failed_ids = [imp.id for imp in page.items if imp.status is ImportStatus.FAILED]
    return render("admin/imports.html", block="results", form=form, page=page, filters=args_without("before"),
                  failed_items=listing.first_items(failed_ids, FIRST_FAILED, ItemStatus.FAILED), sort=sort)


@bp.get("/imports/<int:import_id>")
def imports_show(import_id: int):
    """One import of any reseller and its items, a page at a time, of one status if asked (?status=FAILED)."""
    imp = db.get_or_404(Import, import_id)
    status = request.args.get("status")
    status = ItemStatus(status) if status in ItemStatus.__members__ else None
    counts = listing.item_counts(imp.id)
    total = counts.get(status, 0) if status else sum(counts.values())
    page = listing.items_page(imp.id, status, request.args.get("page", 1, type=page_number), total)
    return render("admin/import_show.html", block="items", imp=imp, page=page, status=status, counts=counts,
                  statuses=list(ItemStatus))


@bp.post("/imports/<int:import_id>/retry")
def imports_retry(import_id: int):
    return _act(import_id, imports.retry_import, _("Import #%(id)s will run again now."))


@bp.post("/imports/<int:import_id>/cancel")
def imports_cancel(import_id: int):
    return _act(import_id, lambda _reseller_id, import_id, staff: staff_cancel.cancel_for_reseller(import_id, staff),
                _("Import #%(id)s is cancelled; its creator is told by e-mail."))


def _act(import_id: int, operation, success: str):
    """Retry or cancel through the imports service (a conditional UPDATE: a lost race changes nothing)."""
    imp = db.get_or_404(Import, import_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        operation(imp.reseller_id, imp.id, current_user._get_current_object())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(success % {"id": import_id}, "success")
    return redirect(_back(), 303)


def _back() -> str:
    """Back to the list with its filters; only a path under /admin/imports/ is accepted."""
    back = request.form.get("back", "")
    return back if back.startswith("/admin/imports/") and "//" not in back else url_for("admin.imports_index")
