"""Reading real spreadsheet exports: delimiters, encodings, quoting, line endings, and the file limits."""
import codecs

import pytest

from services.imports.csv_import import CsvImportError, parse_file, safe_cell, template_csv
from tests.bulk_import import CUSTOMER_HEADER, csv_bytes

MAX = 5 * 1024 * 1024
ROWS = [["C-1", "Peña y Asociados S.A.", "it@pena.example", "UY", ""],
        ["C-2", "Ñandú Logística Ltda.", "admin@nandu.example", "AR", ""]]


def parse(data: bytes, kind: str = "customers", max_bytes: int = MAX, max_rows: int = 20_000):
    return parse_file(kind, data, max_bytes, max_rows)


@pytest.mark.parametrize(("delimiter", "encoding", "newline"), [
    (",", "utf-8", "\r\n"), (";", "utf-8", "\r\n"), (";", "cp1252", "\r\n"), (",", "cp1252", "\n"),
    (";", "utf-8-sig", "\n"), ("\t", "utf-16", "\r\n"),
])
def test_each_accepted_format_gives_the_same_rows(delimiter, encoding, newline):
    parsed = parse(csv_bytes(CUSTOMER_HEADER, ROWS, delimiter, encoding, newline))
    assert parsed.header == CUSTOMER_HEADER
    assert parsed.rows == ROWS


def test_a_utf8_bom_is_not_part_of_the_first_column_name():
    data = codecs.BOM_UTF8 + csv_bytes(CUSTOMER_HEADER, ROWS)
    assert parse(data).header[0] == "code"


def test_quoted_fields_may_hold_delimiters_quotes_and_line_breaks():
    data = ('code;name;email\r\n'
            'C-1;"Peña; Hermanos ""El Ñandú""\r\nSucursal Norte";a@b.example\r\n'
            'C-2,x;"Gómez, S.A.";c@d.example\r\n').encode("cp1252")
    parsed = parse(data)
    assert parsed.rows == [["C-1", 'Peña; Hermanos "El Ñandú"\r\nSucursal Norte', "a@b.example"],
                           ["C-2,x", "Gómez, S.A.", "c@d.example"]]


def test_excels_sep_line_sets_the_delimiter():
    data = "sep=;\r\ncode;name;email\r\nC-1;Peña, Hnos.;a@b.example\r\n".encode("cp1252")
    assert parse(data).rows == [["C-1", "Peña, Hnos.", "a@b.example"]]


def test_column_names_are_matched_loosely_and_blank_lines_are_skipped():
    data = "Code;Name;E-mail;Zip\n\nC-1;Peña;a@b.example;11100\n;;;\n".encode()
    parsed = parse(data)
    assert parsed.header == ["code", "name", "email", "zip_code"]
    assert parsed.rows == [["C-1", "Peña", "a@b.example", "11100"]]


def test_our_failed_rows_file_reads_back_without_its_error_column_and_escapes():
    data = "code,name,email,phone,error\r\nC-1,Peña,a@b.example,'+598 1234,Enter a valid e-mail address.\r\n"
    parsed = parse(data.encode("utf-8-sig"))
    assert parsed.header == ["code", "name", "email", "phone"]
    assert parsed.rows == [["C-1", "Peña", "a@b.example", "+598 1234"]]


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b"  \r\n\r\n", "The file is empty."),
    (b"code,name,email\r\n", "The file has a header line but no rows."),
    (b"code;name;email\r\n;;\r\n", "The file has a header line but no rows."),
    (b"PK\x03\x04\x14\x00\x06\x00binary workbook", "This is not a text file."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a text file."),
    (b"code,name\x81,email\r\nC-1,a,b\r\n", "This is not a text file."),
    (b"code,name\r\nC-1,a\r\n", "Missing columns: email."),
    (b"code,name,email,colour,\r\nC-1,a,b,c,d\r\n", "Unknown columns: colour, (empty)."),
    (b"code,name,email,Email\r\nC-1,a,b,c\r\n", "Columns appear more than once: email."),
])
def test_files_that_cannot_be_imported_say_why(data, message):
    with pytest.raises(CsvImportError) as error:
        parse(data)
    assert message in str(error.value)


def test_the_columns_of_the_other_kind_are_named_when_missing():
    with pytest.raises(CsvImportError, match="Missing columns: customer_code, sku, quantity, billing_type"):
        parse(csv_bytes(CUSTOMER_HEADER, ROWS), kind="subscriptions")


def test_size_limit():
    data = csv_bytes(CUSTOMER_HEADER, ROWS)
    assert parse(data, max_bytes=len(data)).rows == ROWS
    with pytest.raises(CsvImportError, match="larger than"):
        parse(data, max_bytes=len(data) - 1)


def test_row_limit_allows_ten_thousand_rows_and_refuses_more_than_the_maximum():
    rows = [[f"C-{i}", f"Peña {i}", f"c{i}@x.example", "UY", ""] for i in range(10_000)]
    assert len(parse(csv_bytes(CUSTOMER_HEADER, rows)).rows) == 10_000
    with pytest.raises(CsvImportError, match="more than 9,999 rows"):
        parse(csv_bytes(CUSTOMER_HEADER, rows), max_rows=9_999)


@pytest.mark.parametrize("value", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_cells_that_a_spreadsheet_would_run_get_a_quote(value):
    assert safe_cell(value) == "'" + value
    assert safe_cell("Peña") == "Peña"


@pytest.mark.parametrize("kind", ["customers", "subscriptions"])
def test_the_templates_parse_as_their_kind(kind):
    parsed = parse(template_csv(kind).encode("utf-8"), kind=kind)
    assert len(parsed.rows) == 2
