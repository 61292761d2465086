"""Helpers for the bulk import tests: CSV bytes, uploading through the real form, running the import."""
from __future__ import annotations

import io
import re

import sqlalchemy as sa

from models import Import, ImportUpload, db

CUSTOMER_HEADER = ["code", "name", "email", "country", "tenant_id"]
TENANT = "0f4c2a9e-5b7d-4c1e-9a3f-2d6b8e7c1a50"


def csv_bytes(header: list[str], rows: list[list[str]], delimiter: str = ",", encoding: str = "utf-8",
              newline: str = "\r\n") -> bytes:
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    return (newline.join(lines) + newline).encode(encoding)


def customer_rows(n: int, start: int = 1) -> list[list[str]]:
    return [[f"K-{i:05d}", f"Peña {i} S.A.", f"it{i}@cliente{i}.example", "UY", ""] for i in range(start, start + n)]


def upload(client, data: bytes, kind: str = "customers", filename: str = "clientes.csv"):
    return client.post("/imports/upload", data={"kind": kind, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def upload_id(response) -> int:
    assert response.status_code == 303, response.text
    return int(re.search(r"/imports/uploads/(\d+)$", response.headers["Location"]).group(1))


def run(client, upload_id: int) -> Import:
    response = client.post(f"/imports/uploads/{upload_id}/run")
    assert response.status_code == 303, response.text
    import_id = int(re.search(r"/imports/(\d+)/file$", response.headers["Location"]).group(1))
    return db.session.get(Import, import_id)


def latest_upload() -> ImportUpload:
    return db.session.scalar(sa.select(ImportUpload).order_by(ImportUpload.id.desc()))
