"""Import accounts over HTTP: the form, templates, preview, limits with their messages, and tenant isolation."""
import csv
import io

import pytest
import sqlalchemy as sa

from models import Customer, ImportUpload, Role, db
from tests.bulk_import import CUSTOMER_HEADER, csv_bytes, customer_rows, latest_upload, run, upload, upload_id
from tests.factories import make_user
from tests.support import HX, HX_BOOSTED, run_jobs


@pytest.fixture
def user(login):
    return login(make_user())


def test_my_imports_links_to_the_upload_form_which_offers_both_templates(client, user):
    assert 'href="/imports/upload"' in client.get("/imports/").text
    page = client.get("/imports/upload").text
    assert "Import accounts" in page and 'enctype="multipart/form-data"' in page
    for kind in ("customers", "subscriptions"):
        assert f'href="/imports/upload/template-{kind}.csv"' in page
        response = client.get(f"/imports/upload/template-{kind}.csv")
        assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
        header = next(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        assert header[:2] == (["code", "name"] if kind == "customers" else ["customer_code", "sku"])
    assert "Peña" in client.get("/imports/upload/template-customers.csv").data.decode("utf-8-sig")
    assert client.get("/imports/upload/template-orders.csv").status_code == 404


def test_preview_shows_each_row_with_its_errors_and_the_counts_and_writes_nothing(client, user):
    rows = customer_rows(2) + [["K-00001", "Repetido", "bad", "UY", ""]]
    response = upload(client, csv_bytes(CUSTOMER_HEADER, rows, ";", "cp1252"))
    page = client.get(response.headers["Location"]).text
    assert "2 valid" in page and "1 with errors" in page and "Run import" in page
    invalid = page.split('id="row-3"')[1].split("</tr>")[0]
    assert "The code K-00001 appears more than once in the file (first in row 1)." in invalid
    assert "Enter a valid e-mail address." in invalid and "Repetido" in invalid
    assert "Peña 1 S.A." in page  # Windows-1252 read as such
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0
    only = client.get(response.headers["Location"] + "?invalid=1").text
    assert 'id="row-3"' in only and 'id="row-1"' not in only


def test_big_previews_are_paged_and_a_page_can_be_fetched_as_a_fragment(client, user):
    rows = customer_rows(120)
    rows[110][2] = "bad"
    location = upload(client, csv_bytes(CUSTOMER_HEADER, rows)).headers["Location"]
    first = client.get(location).text
    assert first.count('class="row-ok"') == 50 and "Page 1 of 3" in first and "119 valid" in first
    last = client.get(location + "?page=3", headers=HX).text
    assert "<html" not in last and 'id="row-111" class="row-invalid"' in last and last.count("<tr id=") == 20
    assert "<html" in client.get(location + "?page=3", headers=HX_BOOSTED).text
    assert 'id="row-111"' in client.get(location + "?invalid=1").text


def test_a_file_with_no_valid_row_cannot_be_run(client, user):
    location = upload(client, csv_bytes(CUSTOMER_HEADER, [["", "x", "bad", "", ""]])).headers["Location"]
    page = client.get(location).text
    assert "No row can be imported." in page and "Run import" not in page


def test_after_running_the_preview_leads_to_the_import(client, user):
    uid = upload_id(upload(client, csv_bytes(CUSTOMER_HEADER, customer_rows(1))))
    imp = run(client, uid)
    response = client.get(f"/imports/uploads/{uid}")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/imports/{imp.id}/file")


def expect_form_error(response, message: str) -> None:
    assert response.status_code == 422
    error = response.text.split('class="field-error" id="file-error">')[1].split("</small>")[0]
    assert message in error.replace("&#39;", "'").replace("&#34;", '"')
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportUpload)) == 0


@pytest.mark.parametrize(("data", "message"), [
    (b"", "The file is empty."),
    (b"\x00\x01\x02\x03binary", "This is not a text file."),
    (b"codigo,nombre\r\nC-1,Pena\r\n", "Missing columns: code, name, email."),
    (b"code,name,email,fax\r\nC-1,Pena,a@b.example,1\r\n", "Unknown columns: fax."),
    (b"code,name,email\r\n", "The file has a header line but no rows."),
])
def test_files_that_cannot_be_imported_come_back_with_the_reason_next_to_the_field(client, user, data, message):
    expect_form_error(upload(client, data), message)


def test_no_file_chosen(client, user):
    response = client.post("/imports/upload", data={"kind": "customers"}, content_type="multipart/form-data")
    expect_form_error(response, "Choose a CSV file to upload.")


def test_size_and_row_limits(client, user, app):
    data = csv_bytes(CUSTOMER_HEADER, customer_rows(5))
    app.config.update(IMPORT_MAX_BYTES=len(data) - 1)
    expect_form_error(upload(client, data), "The file is larger than")
    app.config.update(IMPORT_MAX_BYTES=len(data), IMPORT_MAX_ROWS=4)
    expect_form_error(upload(client, data), "The file has more than 4 rows; split it into smaller files.")
    app.config.update(IMPORT_MAX_ROWS=5)
    assert upload(client, data).status_code == 303


def test_a_body_over_flasks_limit_is_the_form_with_a_message_not_an_error_page(client, user, app):
    app.config.update(MAX_CONTENT_LENGTH=1000, IMPORT_MAX_BYTES=3 * 2**20)  # only Flask refuses this file
    response = upload(client, csv_bytes(CUSTOMER_HEADER, customer_rows(40)))
    expect_form_error(response, "The file is larger than 3 MB; split it into smaller files.")
    assert 'id="upload-form"' in response.text


def test_the_default_limits():
    from app import create_app

    config = create_app({"TESTING": True}).config
    assert config["IMPORT_MAX_BYTES"] == 5 * 1024 * 1024 and config["IMPORT_MAX_ROWS"] >= 10_000
    assert config["MAX_CONTENT_LENGTH"] > config["IMPORT_MAX_BYTES"]


def test_another_resellers_upload_and_import_answer_404(client, login):
    owner = login(make_user())
    uid = upload_id(upload(client, csv_bytes(CUSTOMER_HEADER, customer_rows(2))))
    imp = run(client, uid)
    run_jobs("default")
    other_upload = upload_id(upload(client, csv_bytes(CUSTOMER_HEADER, customer_rows(1, start=9))))
    login(make_user())
    for url in (f"/imports/uploads/{other_upload}", f"/imports/{imp.id}/file", f"/imports/{imp.id}/failed-rows.csv",
                f"/imports/{imp.id}/items"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/imports/uploads/{other_upload}/run").status_code == 404
    assert latest_upload().import_id is None and latest_upload().reseller_id == owner.reseller_id


def test_staff_cannot_use_the_reseller_upload(client, login):
    login(make_user(role=Role.STAFF))
    assert client.get("/imports/upload").status_code == 403
    assert upload(client, csv_bytes(CUSTOMER_HEADER, customer_rows(1))).status_code == 403
