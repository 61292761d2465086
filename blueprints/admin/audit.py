"""The audit log: who did what to which object and when; filters, pages and a CSV export."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask import Response, request, stream_with_context
from sqlalchemy.orm import joinedload

from blueprints import reads_in_one_transaction, render
from blueprints.admin import bp
from blueprints.admin.forms import AuditFilterForm
from blueprints.admin.paging import args_without, keyset_page
from models import AuditEvent, User, db
from services import search

CSV_COLUMNS = ("id", "at_utc", "actor", "on_behalf_of", "action", "object_type", "object_id", "details", "ip")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@bp.get("/audit/")
def audit_index():
    form = AuditFilterForm(formdata=request.args)
    if not form.validate():
        return render("admin/audit/index.html", block="results", form=form, page=None, filters={}), 422
    page = keyset_page(filtered_events(form), AuditEvent.id)
    return render("admin/audit/index.html", block="results", form=form, page=page, filters=args_without("before"))


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
    stmt = sa.select(AuditEvent).options(joinedload(AuditEvent.actor), joinedload(AuditEvent.on_behalf_of))
    if form.actor.data:  # who did it, or the user staff were logged in as when they did it
        pattern = search.like_pattern(form.actor.data.lower())
        stmt = stmt.where(sa.or_(AuditEvent.actor.has(User.email.like(pattern, escape="\\")),
                                 AuditEvent.on_behalf_of.has(User.email.like(pattern, escape="\\"))))
    if form.object_type.data:
        stmt = stmt.where(sa.func.lower(AuditEvent.object_type) == form.object_type.data.lower())
    if form.object_id.data:
        stmt = stmt.where(AuditEvent.object_id == form.object_id.data)
    if form.since.data:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(form.since.data, time.min, UTC))
    if form.until.data:
        stmt = stmt.where(AuditEvent.at < datetime.combine(form.until.data + timedelta(days=1), time.min, UTC))
    return stmt


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

