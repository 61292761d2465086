"""The reseller's licenses as CSV, streamed row by row and safe to open in a spreadsheet."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import Customer, License, LicenseStatus, Order, OrderLine, db
from models.orders import order_number

HEADER = (_l("Order"), _l("Product"), _l("SKU"), _l("Key"), _l("Status"), _l("Customer code"),
          _l("Customer name"), _l("Assigned at (UTC)"), _l("Activated at (UTC)"))
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 500


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def license_rows(reseller_id: int, customer_id: int | None = None) -> Iterator[tuple]:
    """Only this reseller's licenses (never the VOID ones of rejected or cancelled orders)."""
    stmt = (sa.select(Order.id, OrderLine.product_name, OrderLine.sku, License.key, License.status,
                      Customer.code, Customer.name, License.assigned_at, License.activated_at)
            .join(OrderLine, OrderLine.id == License.order_line_id).join(Order, Order.id == OrderLine.order_id)
            .outerjoin(Customer, Customer.id == License.customer_id)
            .where(Order.reseller_id == reseller_id, License.status != LicenseStatus.VOID)
            .order_by(Order.id, OrderLine.id, License.seq)
            .execution_options(yield_per=BATCH))
    if customer_id is not None:
        stmt = stmt.where(License.customer_id == customer_id)
    for order_id, product, sku, key, status, code, name, assigned, activated in db.session.execute(stmt):
        yield (order_number(order_id), product, sku, key, status.value, code, name, _when(assigned), _when(activated))


def csv_chunks(rows: Iterable[tuple], header: Iterable[str] = HEADER) -> Iterator[str]:
    """CSV text in chunks of BATCH rows, every cell neutralised against formula injection."""
    buffer = io.StringIO()
    buffer.write("\ufeff")  # a UTF-8 byte order mark: Excel then reads accented names correctly
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for count, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(cell) for cell in row])
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
