"""Uploaded CSV files of accounts: kept server-side (tenant-scoped) and previewed row by row before any write."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from models import ImportUpload, Product, Reseller, User, db, utcnow
from services.catalog import pricing
from services.imports import csv_import, csv_rows

PER_PAGE = 50  # preview rows per page


def save_upload(reseller: Reseller, user: User, kind: str, filename: str, data: bytes) -> ImportUpload:
    """Parse the file and keep its rows server-side, so "Run import" needs no second upload."""
    config = current_app.config
    parsed = csv_import.parse_file(kind, data, config["IMPORT_MAX_BYTES"], config["IMPORT_MAX_ROWS"])
    name = (filename or "import.csv").replace("\\", "/").rsplit("/", 1)[-1].strip()[:255] or "import.csv"
    upload = ImportUpload(reseller_id=reseller.id, user_id=user.id, kind=kind, filename=name, size=len(data),
                          header=parsed.header, rows=parsed.rows)
    db.session.add(upload)
    db.session.flush()
    return upload


def get_upload(reseller_id: int, upload_id: int) -> ImportUpload | None:
    """The upload if it belongs to this reseller (tenant isolation), else None."""
    return db.session.scalar(sa.select(ImportUpload).where(ImportUpload.id == upload_id,
                                                           ImportUpload.reseller_id == reseller_id))


@dataclass
class Preview:
    rows: list[csv_rows.RowResult]  # the page shown
    valid: int
    invalid: int
    page: int
    pages: int
    only_invalid: bool
    products: dict[int, Product] = field(default_factory=dict)  # the services the subscription rows name, by id
    prices: dict[int, pricing.ResellerPrice] = field(default_factory=dict)  # their reseller prices today, by id


def preview(upload: ImportUpload, reseller: Reseller, page: int = 1, only_invalid: bool = False) -> Preview:
    """Every row validated as the run will validate it; one page of them (or of the invalid ones)."""
    results = csv_rows.validate_rows(upload.kind, reseller, upload.header, upload.rows)
    invalid = sum(1 for r in results if not r.ok)
    shown = [r for r in results if not r.ok] if only_invalid else results
    pages = max(1, math.ceil(len(shown) / PER_PAGE))
    page = min(max(page, 1), pages)
    rows = shown[(page - 1) * PER_PAGE:page * PER_PAGE]
    products = _products(rows)
    return Preview(rows, len(results) - invalid, invalid, page, pages, only_invalid, products,
                   pricing.reseller_prices(reseller, products.values(), utcnow()))


def _products(rows: list[csv_rows.RowResult]) -> dict[int, Product]:
    """The services these rows name (a row is provisioned at the reseller's price of its day: today's is shown)."""
    ids = {row.data["product_id"] for row in rows if row.data.get("product_id")}
    return {p.id: p for p in db.session.scalars(sa.select(Product).where(Product.id.in_(ids)))} if ids else {}
