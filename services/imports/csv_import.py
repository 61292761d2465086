"""Reading an uploaded CSV of accounts the way spreadsheets write them, and checking its columns.

Accepted: comma, semicolon or tab delimiters (from the header line), UTF-8 with or without BOM, UTF-16
with BOM (Excel's "Unicode text"), Windows-1252 (Excel's default on Spanish Windows), quoted fields
with delimiters or line breaks inside, CRLF. The rows of each kind are validated in services.imports.csv_rows.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models.base import utcnow
from services import DomainError

KINDS = {"customers": _l("Customers (companies)"), "subscriptions": _l("Subscriptions")}
# kind -> (required columns, optional columns), in the order of the template CSVs.
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "customers": (("code", "name", "email"),
                  ("domain", "tax_id", "country", "city", "address", "zip_code", "contact_name", "phone",
                   "tenant_id", "language", "currency")),
    "subscriptions": (("customer_code", "sku", "quantity", "billing_type"), ("tenant_id", "schedule_at")),
}
ALIASES = {"e_mail": "email", "mail": "email", "legal_name": "name", "zip": "zip_code", "customer": "customer_code",
           "product_sku": "sku", "product": "sku", "schedule_date": "schedule_at", "schedule": "schedule_at",
           "schedule_date_utc": "schedule_at", "schedule_at_utc": "schedule_at", "tenant": "tenant_id"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = (",", ";", "\t")
ERROR_COLUMN = "error"  # the column our failed-rows CSV adds


class CsvImportError(DomainError):
    """The file as a whole cannot be imported; nothing was stored."""


@dataclass
class ParsedFile:
    header: list[str]
    rows: list[list[str]]


def parse_file(kind: str, data: bytes, max_bytes: int, max_rows: int) -> ParsedFile:
    """The header (canonical column names) and the non-blank rows, or a CsvImportError saying what is wrong."""
    if kind not in COLUMNS:
        raise CsvImportError(_("Choose what the file contains."))
    if len(data) > max_bytes:
        raise CsvImportError(too_large_message(max_bytes))
    text = decode(data)
    if not text.strip():
        raise CsvImportError(_("The file is empty."))
    text, delimiter = _delimiter(text)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = check_header(kind, next(reader))
        rows = _rows(reader, max_rows)
    except csv.Error:
        raise CsvImportError(_("The file could not be read as CSV; save it from your spreadsheet as "
                               "“CSV (comma or semicolon delimited)” and upload it again.")) from None
    if not rows:
        raise CsvImportError(_("The file has a header line but no rows."))
    if ERROR_COLUMN in header:  # a fixed "failed rows" file: its error column is ours, not data
        at = header.index(ERROR_COLUMN)
        header = header[:at] + header[at + 1:]
        rows = [row[:at] + row[at + 1:] for row in rows]
    return ParsedFile(header, rows)


def too_large_message(max_bytes: int) -> str:
    return _("The file is larger than %(mb)s MB; split it into smaller files.", mb=f"{round(max_bytes / 2**20, 1):g}")


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252; NUL bytes or undecodable bytes are binary."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    raise CsvImportError(_("This is not a text file. Upload a CSV file (for an Excel workbook: "
                           "File > Save as > CSV)."))


def _delimiter(text: str) -> tuple[str, str]:
    """Excel's "sep=;" line if there is one, else whichever of , ; tab appears most in the header line."""
    text = text.lstrip("\ufeff")
    first, _newline, rest = text.partition("\n")
    if re.fullmatch(r"sep=.", first.strip(), re.I):
        return rest, first.strip()[4]
    return text, max(DELIMITERS, key=first.count)


def _canonical(name: str) -> str:
    key = "_".join(name.strip().strip("\ufeff").lower().replace("-", " ").replace("(", " ").replace(")", " ").split())
    return ALIASES.get(key, key)


def check_header(kind: str, raw: list[str]) -> list[str]:
    """The canonical column names, or an error naming the missing, unknown or repeated columns."""
    header = [_canonical(name) for name in raw]
    required, optional = COLUMNS[kind]
    expected = ", ".join(required + optional)
    missing = [c for c in required if c not in header]
    unknown = [raw[i].strip() or _("(empty)") for i, c in enumerate(header)
               if c not in required + optional + (ERROR_COLUMN,)]
    repeated = sorted({c for c in header if header.count(c) > 1 and c})
    if missing:
        raise CsvImportError(_("Missing columns: %(missing)s. The columns are: %(expected)s.",
                               missing=", ".join(missing), expected=expected))
    if unknown:
        raise CsvImportError(_("Unknown columns: %(unknown)s. The columns are: %(expected)s.",
                               unknown=", ".join(unknown), expected=expected))
    if repeated:
        raise CsvImportError(_("Columns appear more than once: %(columns)s.", columns=", ".join(repeated)))
    return header


def _rows(reader, max_rows: int) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue  # blank lines, or the ;;;; lines spreadsheets leave at the end
        if len(rows) >= max_rows:
            raise CsvImportError(_("The file has more than %(max)s rows; split it into smaller files.",
                                   max=f"{max_rows:,}"))
        rows.append([_unescape(cell) for cell in row])
    return rows


def _unescape(cell: str) -> str:
    """Undo the ' our failed-rows CSV puts before a formula-like value, so a fixed file round-trips."""
    return cell[1:] if cell.startswith("'") and cell[1:2] and cell[1] in "=+-@\t\r" else cell


def safe_cell(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection): prefix = + - @ tab CR with '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(header: list[str], rows: list[list[str]]) -> str:
    """A CSV (comma, CRLF, every cell formula-safe) with a UTF-8 BOM so Excel shows the accents."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(c) for c in header])
    writer.writerows([safe_cell(c) for c in row] for row in rows)
    return "\ufeff" + out.getvalue()


def template_csv(kind: str) -> str:
    """The template of a kind: its columns and two example rows (a schedule a month ahead, inside the window)."""
    required, optional = COLUMNS[kind]
    next_month = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%d 09:00")
    examples = {
        "customers": [["C-0001", "Peña y Asociados S.A.", "it@pena.example", "pena.example", "21-1234567-8", "UY",
                       "Montevideo", "Av. 18 de Julio 1234", "11100", "María Peña", "+598 2900 0000", "", "es",
                       "USD"],
                      ["C-0002", "Ñandú Logística Ltda.", "admin@nandu.example", "nandu.example", "", "AR",
                       "Córdoba", "", "", "José Núñez", "", "", "es", "ARS"]],
        "subscriptions": [["C-0001", "CFQ7TTC0LH18", "5", "P1Y-monthly", "0f4c2a9e-5b7d-4c1e-9a3f-2d6b8e7c1a50", ""],
                          ["C-0002", "CFQ7TTC0LH18", "2", "monthly", "1a2b3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d",
                           next_month]],
    }
    return write_csv(list(required + optional), examples[kind])
