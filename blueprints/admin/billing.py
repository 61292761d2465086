"""Staff Billing: statements per reseller and month with the distributor's cost and margin, the month in progress,
a CSV export, and any statement's PDF. The cost and margin are on staff pages only."""
from __future__ import annotations

import re

from flask import Response, abort, request
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Optional, Regexp

from blueprints import reads_in_one_transaction, render
from blueprints.admin import args_without, bp
from blueprints.admin.forms import FilterForm
from blueprints.admin.orders import reseller_choices
from blueprints.billing.views import month_name, pdf_response
from models import Statement, db
from services.billing import exports, staff
from services.numbers import optional_id, page_number
from services.paging import parse_sort

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class BillingFilterForm(FilterForm):
    reseller = SelectField(_l("Reseller"), coerce=optional_id, validators=[Optional()])
    period = StringField(_l("Month (YYYY-MM)"), validators=[Optional(), Regexp(PERIOD, message=_l(
        "Write the month as YYYY-MM, e.g. 2026-11."))], filters=[lambda v: v.strip() if isinstance(v, str) else v])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reseller.choices = reseller_choices()


@bp.get("/billing/")
def billing_index():
    form = BillingFilterForm(formdata=request.args)
    if not form.validate():
        return render("admin/billing.html", block="results", form=form, page=None, filters={}), 422
    filters = {"period": form.period.data or None, "reseller_id": form.reseller.data}
    sort = statements_sort()
    page = staff.totals(**filters, page=request.args.get("page", 1, type=page_number), sort=sort)
    return render("admin/billing.html", block="results", form=form, page=page, filters=args_without("page"),
                  grand=staff.grand_totals(**filters), running=staff.running(form.reseller.data),
                  month_name=month_name, sort=sort)


def statements_sort():
    return parse_sort(request.args.get("sort"), staff.SORTS, staff.NEWEST_MONTH.param)


@bp.get("/billing/export.csv")
@reads_in_one_transaction
def billing_export():
    form = BillingFilterForm(formdata=request.args)
    if not form.validate():
        abort(422)
    rows = list(staff.all_totals(period=form.period.data or None, reseller_id=form.reseller.data,
                                 sort=statements_sort()))
    return Response(exports.chunks(exports.TOTALS_HEADER, exports.totals_rows(rows)), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="billing.csv"'})


@bp.get("/billing/statements/<int:statement_id>/pdf")
def billing_statement_pdf(statement_id: int):
    statement = db.session.get(Statement, statement_id) or abort(404)
    return pdf_response(statement)
