"""In Chromium: My imports -> Import accounts -> upload -> preview -> Run import -> progress -> Completed with
errors -> download the failed rows."""
import csv
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from models import Customer, db
from tests.factories import PASSWORD, make_customer, make_user
from tests.support import run_jobs, wait_for

pytestmark = pytest.mark.browser

CSV = ("code;name;email;country\r\n"
       "C-100;Peña y Asociados S.A.;it@pena.example;UY\r\n"
       "C-101;\"Ñandú; Logística Ltda.\";admin@nandu.example;AR\r\n"
       "C-102;Sin correo S.A.;no-es-un-correo;UY\r\n"
       "C-EXISTE;Ya existe S.A.;x@existe.example;UY\r\n").encode("cp1252")


def test_upload_preview_run_progress_and_failed_rows(page):
    user = make_user(name="Lucía Núñez")
    make_customer(user.reseller, code="C-EXISTE")
    db.session.commit()
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name=f"Welcome, {user.name}").wait_for()

    page.goto("/imports/")
    page.get_by_role("button", name="Import accounts").click()
    page.get_by_role("heading", name="Import accounts").wait_for()
    assert page.get_by_label("CSV file").get_attribute("required") is not None
    page.get_by_label("The file contains").select_option("customers")
    page.get_by_label("CSV file").set_input_files(
        {"name": "clientes.csv", "mimeType": "text/csv", "buffer": CSV})
    page.get_by_role("button", name="Upload and preview").click()

    page.get_by_role("heading", name="Preview of clientes.csv").wait_for()
    assert page.locator(".valid-count").inner_text() == "2 valid"
    assert page.locator(".invalid-count").inner_text() == "2 with errors"
    assert page.locator("#row-2").get_by_text("Ñandú; Logística Ltda.").is_visible()
    assert page.locator("#row-3").get_by_text("Enter a valid e-mail address.").is_visible()
    assert page.locator("#row-4").get_by_text("You already have a customer with the code C-EXISTE.").is_visible()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 1  # nothing written yet

    page.get_by_role("button", name="Run import").click()
    page.get_by_role("heading", name="Import of clientes.csv").wait_for()
    page.get_by_text("0 of 4 rows processed").wait_for()
    assert page.locator("#progress").get_attribute("hx-trigger") == "every 1s"
    run_jobs("default")  # the real worker runs it; the page, polling every second, shows the result
    page.locator("#progress").get_by_text("Completed with errors").wait_for(timeout=8000)
    page.get_by_text("4 of 4 rows processed").wait_for()
    wait_for(lambda: page.locator("#progress").get_attribute("hx-trigger") is None)
    assert page.locator("#completed-count").inner_text() == "2"
    assert page.locator("#failed-count").inner_text() == "2"

    with page.expect_download() as download:
        page.get_by_role("button", name="Download failed rows").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["code", "name", "email", "country", "error"]
    assert [r[0] for r in rows[1:]] == ["C-102", "C-EXISTE"]
    assert rows[2][-1] == "You already have a customer with the code C-EXISTE."

    page.get_by_role("link", name="Back to My imports").click()
    row = page.locator("tr", has_text="clientes.csv").first
    row.get_by_text("Completed with errors").wait_for()
    assert row.get_by_role("link", name="Import").is_visible()
