"""The reseller's Billing pages: running charges, statements, and each statement's PDF and CSV."""
from flask import Response, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import reads_in_one_transaction, render
from blueprints.billing import bp
from blueprints.formatting import current_viewer
from models import Statement, utcnow
from models.billing import statement_number
from services.billing import exports, ledger, pdf, statements
from services.numbers import page_number


def own_statement(statement_id: int) -> Statement:
    return statements.reseller_statement(current_user.reseller_id, statement_id) or abort(404)


def month_name(period: str) -> str:
    return statements.month_label(period)


@bp.get("/")
def index(notice: str | None = None):
    reseller_id = current_user.reseller_id
    page = statements.reseller_statements(reseller_id, page=request.args.get("page", 1, type=page_number))
    total, count = statements.months_total(reseller_id)
    return render("billing/index.html", block="statements", statements=page, running=statements.running_totals(
        reseller_id), all_total=total, all_count=count, month_name=month_name, notice=notice,
        statement_number=statement_number,
        current_month=month_name(statements.period_of(utcnow())))


@bp.get("/current")
def current():
    reseller_id = current_user.reseller_id
    lines = statements.running_charges(reseller_id, page=request.args.get("page", 1, type=page_number))
    return render("billing/current.html", block="lines", lines=lines, kinds=ledger.KIND_LABELS,
                  running=statements.running_totals(reseller_id))


@bp.get("/months/<period>")
def month(period: str):
    """A month's statement by its period ("2026-11"): its page, or why there is none (yet)."""
    try:
        closed = statements.has_been_closed(period)
    except ValueError:
        abort(404)
    statement = statements.statement_for(current_user.reseller_id, period)
    if statement is not None:
        return redirect(url_for("billing.statement", statement_id=statement.id), 303)
    if not closed:
        notice = _("The statement for %(month)s is not ready yet: each month is closed on the 1st of the next "
                   "month at 00:00 UTC. Until then its charges are under \"This month so far\".",
                   month=month_name(period))
    else:
        notice = _("There is no statement for %(month)s: you had no charges that month.", month=month_name(period))
    return index(notice=notice)


@bp.get("/statements/<int:statement_id>")
def statement(statement_id: int):
    item = own_statement(statement_id)
    lines = statements.statement_lines(item, page=request.args.get("page", 1, type=page_number))
    return render("billing/statement.html", block="lines", statement=item, lines=lines, kinds=ledger.KIND_LABELS,
                  month=month_name(item.period))


@bp.get("/statements/<int:statement_id>/pdf")
def statement_pdf(statement_id: int):
    item = own_statement(statement_id)
    return pdf_response(item)


@bp.get("/statements/<int:statement_id>/csv")
@reads_in_one_transaction
def statement_csv(statement_id: int):
    item = own_statement(statement_id)
    rows = exports.statement_rows(item, statements.statement_lines(item, page=None))
    return Response(exports.chunks(exports.STATEMENT_HEADER, rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{item.number}.csv"'})


def pdf_response(item: Statement) -> Response:
    """The statement's PDF in the viewer's language and formats (also for staff: blueprints/admin/billing.py)."""
    body = pdf.statement_pdf(item, current_viewer().locale)
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{item.number}.pdf"'})
