"""In Chromium at 1366 px: the import preview shows every invalid row as invalid (striping does not hide it) and
each error on the cell it is about, on screen without scrolling sideways (issue 23)."""
import pytest

from models import db
from services.imports.csv_import import template_csv
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def customers_csv() -> bytes:
    header = template_csv("customers").splitlines()[0]
    rows = ["C-1,Uno S.A.,it@uno.example,,,UY,,,,,,,es,dollars",   # currency: the last column
            "C-2,Dos S.A.,not-an-address,,,UY,,,,,,,es,USD",
            "C-3,Tres S.A.,it@tres.example,,,UY,,,,,,,es,USD",
            "C-4,Cuatro S.A.,it@cuatro.example,,,Uruguay,,,,,,,es,USD",
            "C-5,Cinco S.A.,it@cinco.example,,,UY,,,,,,,es,USD"]
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


def background(locator) -> str:
    return locator.evaluate("el => getComputedStyle(el).backgroundColor")


def test_invalid_rows_and_their_cells_show_on_a_1366_px_screen(page):
    user = make_user()
    db.session.commit()
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()
    page.goto("/imports/upload?kind=customers")
    page.get_by_label("The file contains").select_option("customers")
    page.get_by_label("CSV file").set_input_files({"name": "wide.csv", "mimeType": "text/csv",
                                                   "buffer": customers_csv()})
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("heading", name="Preview of wide.csv").wait_for()
    assert page.locator(".invalid-count").inner_text() == "3 with errors"

    # Rows 1 and 2 are invalid (one odd, one even stripe), row 3 is valid: both invalid rows share one colour.
    invalid_odd, invalid_even, valid = (page.locator(f"#row-{n} td").first for n in (1, 2, 3))
    assert background(invalid_odd) == background(invalid_even) != background(valid)

    headers = page.locator("table.preview thead th").all_inner_texts()
    for row, column, message in ((1, "currency", "The currency is a three-letter code (e.g. USD)."),
                                 (2, "email", "Enter a valid e-mail address."),
                                 (4, "country", "The country is a two-letter code (e.g. UY, AR, MX).")):
        cell = page.locator(f"#row-{row} > td").nth(headers.index(column))
        error = cell.get_by_text(message)
        assert error.is_visible(), (row, column)
        box = error.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1366, (row, column, box)
    scroll = page.locator("#preview-rows").evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert scroll[0] <= scroll[1]  # nothing to scroll to sideways
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
