"""CSV exports: a statement's lines (the reseller's) and the staff's totals per reseller and month.

Text cells are neutralised against formula injection (services.orders.license_export.safe_cell); amounts are
written as plain numbers ("-19.47"), which a spreadsheet cannot run.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from models import Statement
from services.orders.license_export import safe_cell

STATEMENT_HEADER = (_l("Date (UTC)"), _l("Customer code"), _l("Customer name"), _l("Subscription"), _l("Order"),
                    _l("Kind"), _l("Description"), _l("Quantity"), _l("Unit price"), _l("Amount"),
                    _l("Period start"), _l("Period end"))
TOTALS_HEADER = (_l("Period"), _l("Reseller"), _l("Statement"), _l("Currency"), _l("Lines"), _l("Subtotal"),
                 _l("Tax"), _l("Total"), _l("Distributor cost"), _l("Margin"))
BATCH = 500


def _cell(value: object) -> str:
    if isinstance(value, Decimal | int):
        return str(value)
    return safe_cell(value)


def chunks(header: Iterable[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel then reads accented names correctly
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(str(h)) for h in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([_cell(cell) for cell in row])
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def statement_rows(statement: Statement, lines: Iterable) -> Iterator[tuple]:
    """Each line, then the subtotal, tax and total rows (their amount in the Amount column)."""
    for line in lines:
        yield (line.occurred_at.strftime("%Y-%m-%d %H:%M:%S"), line.customer_code or "", line.customer_name or "",
               line.subscription_id or "", line.order_id or "", line.kind.value, line.description, line.quantity,
               line.unit_price, line.amount, line.period_start or "", line.period_end or "")
    blank = ("",) * 6
    yield (*blank, str(_l("Subtotal")), "", "", statement.subtotal, "", "")
    yield (*blank, str(_l("Tax")), "", "", statement.tax, "", "")
    yield (*blank, str(_l("Total")), "", "", statement.total, "", "")


def totals_rows(rows: Iterable) -> Iterator[tuple]:
    """The staff's totals (services.billing.staff.totals rows), with cost and margin."""
    for row in rows:
        yield (row.period, row.reseller_name, row.number, row.currency, row.line_count, row.subtotal, row.tax,
               row.total, row.cost, row.subtotal - row.cost)
