"""The audit log: who did what to which object and when; filters, pages and a CSV export."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import Response, request, stream_with_context

from blueprints import reads_in_one_transaction, render
from blueprints.admin import args_without, bp
from blueprints.admin.forms import AuditFilterForm
from models import AuditEvent, db
from services import audit, staff_lists
from services.paging import parse_sort

CSV_COLUMNS = ("id", "at_utc", "actor", "on_behalf_of", "action", "object_type", "object_id", "details", "ip")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@bp.get("/audit/")
def audit_index():
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        return render("admin/audit/index.html", block="results", form=form, page=None, filters={}), 422
    sort = parse_sort(request.args.get("sort"), staff_lists.AUDIT_SORTS, "-when")
    page = staff_lists.events_page(filtered_events(form), sort, request.args.get("before"))
    return render("admin/audit/index.html", block="results", form=form, page=page, filters=args_without("before"),
                  sort=sort)


@bp.get("/audit/export.csv")
@reads_in_one_transaction
def audit_export():
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        return render("admin/audit/index.html", block="results", form=form, page=None, filters={}), 422
    stmt = filtered_events(form).order_by(AuditEvent.id.desc())
    filename = f"audit-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv"
    # Streamed: a big log never sits in memory; stream_with_context keeps the session open meanwhile.
    return Response(stream_with_context(csv_rows(stmt)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def filtered_events(form: AuditFilterForm) -> sa.Select:
    return audit.filtered_events(form.actor.data or "", form.object_type.data or "", form.object_id.data or "",
                                 form.since.data, form.until.data)


def csv_rows(stmt: sa.Select, batch: int = 500) -> Iterator[str]:
    """The header, then one CSV line per event, fetched in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for event in db.session.scalars(stmt.execution_options(yield_per=batch)):
        writer.writerow([safe_cell(value) for value in _csv_values(event)])
        if buffer.tell() > 16_384:
            yield _drain(buffer)
    yield _drain(buffer)


def safe_cell(value: object) -> str:
    """Neutralise spreadsheet formulas (CSV injection): a leading = + - @ tab or CR gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _csv_values(event: AuditEvent) -> list[object]:
    details = ", ".join(f"{k}={v}" for k, v in sorted((event.details or {}).items()))
    actor = event.actor.email if event.actor is not None else ""
    on_behalf_of = event.on_behalf_of.email if event.on_behalf_of is not None else ""
    return [event.id, event.at.strftime("%Y-%m-%d %H:%M:%S"), actor, on_behalf_of, event.action, event.object_type,
            event.object_id, details, event.ip]


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text

