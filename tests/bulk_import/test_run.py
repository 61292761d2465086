"""Running an import with a real RQ worker on real Redis: partial success, no duplicates, progress, e-mail,
failed rows, subscriptions provisioned now or scheduled, and a run that resumes after a crash."""
import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from jobs.bulk_import import run_file_import, sweep_file_imports
from models import Customer, Import, ImportItem, ImportSource, ImportStatus, ItemStatus, Subscription, db, utcnow
from queues import get_queue, get_redis
from services.imports import bulk_import, imports
from tests.bulk_import import CUSTOMER_HEADER, csv_bytes, customer_rows, run, upload, upload_id
from tests.factories import make_customer, make_user
from tests.provisioning import cloud_setup
from tests.support import HX, mail_text, run_jobs


@pytest.fixture
def user(login):
    return login(make_user(name="Inés Peña"))


def fresh(imp: Import) -> Import:
    db.session.expire_all()
    return db.session.get(Import, imp.id)


def customers_of(user) -> dict[str, Customer]:
    return {c.code: c for c in db.session.scalars(sa.select(Customer).where(Customer.reseller_id == user.reseller_id))}


BAD_ROWS = [["", "Sin código", "x@y.example", "UY", ""], ["K-BAD", "Mal correo", "no-at-sign", "UY", ""],
            ["=HYPERLINK(\"http://evil.example\")", "Fórmula", "@evil", "UY", ""]]


def test_valid_rows_are_imported_even_when_others_fail_and_the_creator_is_told(client, user, smtp):
    make_customer(user.reseller, code="K-00002")  # already there: reported as a duplicate, not a crash
    db.session.commit()
    rows = customer_rows(3) + BAD_ROWS
    imp = run(client, upload_id(upload(client, csv_bytes(CUSTOMER_HEADER, rows, ";", "cp1252"), filename="ñandú.csv")))
    assert imp.status is ImportStatus.PENDING and imp.source is ImportSource.FILE and imp.total_count == 6
    assert get_queue("default").job_ids == [f"run-file-import-{imp.id}"]  # one job for the whole file
    run_jobs("default")

    imp = fresh(imp)
    assert imp.status is ImportStatus.COMPLETED
    assert (imp.completed_count, imp.failed_count, imp.processed_count) == (2, 4, 6)
    assert customers_of(user)["K-00003"].name == "Peña 3 S.A."
    items = db.session.scalars(sa.select(ImportItem).where(ImportItem.import_id == imp.id)
                               .order_by(ImportItem.row_number)).all()
    assert [(i.row_number, i.status) for i in items] == [
        (1, ItemStatus.COMPLETED), (2, ItemStatus.FAILED), (3, ItemStatus.COMPLETED), (4, ItemStatus.FAILED),
        (5, ItemStatus.FAILED), (6, ItemStatus.FAILED)]
    assert items[0].customer.code == "K-00001"
    assert items[1].reasons == ["You already have a customer with the code K-00002."]

    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    body = mail_text(message)
    assert message["To"] == user.email and message["Subject"] == "Your import is completed with errors"
    for expected in ("Import: ñandú.csv", "Created by: Inés Peña", "Completed accounts: 2", "Failed accounts: 4",
                     "Row 2: You already have a customer with the code K-00002."):
        assert expected in body


def test_failed_rows_csv_has_the_columns_an_error_and_no_formulas_and_reimports_once_fixed(client, user):
    rows = customer_rows(1) + BAD_ROWS
    imp = run(client, upload_id(upload(client, csv_bytes(CUSTOMER_HEADER, rows))))
    run_jobs("default")
    response = client.get(f"/imports/{imp.id}/failed-rows.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    text = response.data.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == CUSTOMER_HEADER + ["error"]
    assert [row[:2] for row in table[1:]] == [["", "Sin código"], ["K-BAD", "Mal correo"],
                                              ["'=HYPERLINK(\"http://evil.example\")", "Fórmula"]]
    assert table[1][-1] == "Enter the customer's code." and "valid e-mail" in table[2][-1]
    assert table[3][2] == "'@evil"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)

    fixed = text.replace("no-at-sign", "ok@mal.example").replace(",Sin código", "K-FIX,Sin código")
    again = run(client, upload_id(upload(client, fixed.encode("utf-8-sig"), filename="failed-rows.csv")))
    run_jobs("default")
    again = fresh(again)
    assert (again.completed_count, again.failed_count) == (2, 1)  # the formula row: not a valid e-mail
    assert {"K-FIX", "K-BAD", "K-00001"} <= set(customers_of(user))


def test_running_the_same_file_again_creates_no_duplicates(client, user):
    data = csv_bytes(CUSTOMER_HEADER, customer_rows(5))
    first = run(client, upload_id(upload(client, data)))
    run_jobs("default")
    second = run(client, upload_id(upload(client, data)))
    run_jobs("default")
    assert len(customers_of(user)) == 5
    second = fresh(second)
    assert (second.status, second.completed_count, second.failed_count) == (ImportStatus.COMPLETED, 0, 5)
    assert fresh(first).completed_count == 5


def test_run_import_twice_on_one_upload_starts_one_import_and_the_job_twice_runs_once(client, user):
    uid = upload_id(upload(client, csv_bytes(CUSTOMER_HEADER, customer_rows(2))))
    imp = run(client, uid)
    response = client.post(f"/imports/uploads/{uid}/run")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/imports/{imp.id}/file")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Import)) == 1
    assert run_file_import(imp.id) == "done"
    assert run_file_import(imp.id) == "not claimed"
    run_jobs("default")  # the queued job finds nothing to claim
    assert get_queue("default").fetch_job(f"run-file-import-{imp.id}").return_value() == "not claimed"
    assert len(customers_of(user)) == 2 and fresh(imp).completed_count == 2


def test_progress_is_reported_every_chunk_and_polling_stops_when_done(client, user, monkeypatch):
    monkeypatch.setattr(bulk_import, "CHUNK", 4)
    imp = run(client, upload_id(upload(client, csv_bytes(CUSTOMER_HEADER, customer_rows(10)))))
    page = client.get(f"/imports/{imp.id}/file")
    assert page.status_code == 200 and 'hx-trigger="every 1s"' in page.text and "0 of 10 rows processed" in page.text

    token = imports.claim_one(imp.id)
    db.session.commit()
    job = bulk_import.prepare_run(imp.id, token)
    seen = []
    for chunk in job.chunks():
        bulk_import.process_chunk(job, chunk)
        db.session.commit()
        fragment = client.get(f"/imports/{imp.id}/file", headers=HX)
        assert fragment.status_code == 200 and "<html" not in fragment.text
        seen.append(fragment.text.split('id="progress-count">')[1].split("<")[0])
    assert seen == ["4 of 10 rows processed", "8 of 10 rows processed", "10 of 10 rows processed"]
    bulk_import.finish_run(job)
    db.session.commit()
    done = client.get(f"/imports/{imp.id}/file", headers=HX)
    assert done.status_code == 286 and "every 1s" not in done.text and "Completed" in done.text


def test_a_run_killed_after_a_chunk_resumes_through_the_sweep_without_duplicates(client, user, monkeypatch):
    monkeypatch.setattr(bulk_import, "CHUNK", 3)
    imp = run(client, upload_id(upload(client, csv_bytes(CUSTOMER_HEADER, customer_rows(7)))))
    token = imports.claim_one(imp.id)
    db.session.commit()
    job = bulk_import.prepare_run(imp.id, token)
    bulk_import.process_chunk(job, job.chunks()[0])
    db.session.commit()  # ... and the worker dies here
    db.session.execute(sa.update(Import).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert imports.recover_expired_leases() == 1
    db.session.commit()
    assert imports.claim_due()[1] == []  # the provisioning run never takes a file import
    db.session.commit()
    get_redis().flushdb()  # and its queued job is lost too
    assert sweep_file_imports() == 1
    assert sweep_file_imports() == 0  # a live job already exists
    run_jobs("default")
    imp = fresh(imp)
    assert (imp.status, imp.processed_count, imp.completed_count, imp.failed_count) == (
        ImportStatus.COMPLETED, 7, 7, 0)
    assert len(customers_of(user)) == 7
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportItem)) == 7


def test_the_import_is_listed_in_my_imports_as_import_with_its_items(client, user):
    imp = run(client, upload_id(upload(client, csv_bytes(CUSTOMER_HEADER, customer_rows(1) + BAD_ROWS[:1]))))
    run_jobs("default")
    page = client.get("/imports/").text
    assert f'href="/imports/{imp.id}/file">Import</a>' in page and "Completed with errors" in page
    items = client.get(f"/imports/{imp.id}/items").text
    assert "K-00001" in items and "Row 2" in items and "Enter the customer&#39;s code." in items


# --- subscriptions -------------------------------------------------------------------------------

def test_subscription_rows_are_provisioned_now_or_scheduled_and_not_twice(client, login, smtp):
    user, customer, product = cloud_setup()
    login(user)
    second = make_customer(user.reseller, code="C-SEGUNDO", tenant_id=customer.tenant_id)
    db.session.commit()
    later = (utcnow() + timedelta(hours=3)).strftime("%Y-%m-%d %H:%M")
    header = ["customer_code", "sku", "quantity", "billing_type", "tenant_id", "schedule_at"]
    rows = [[customer.code, product.sku, "4", "P1Y-monthly", "", ""],
            [second.code, product.sku, "2", "monthly", "", later],
            ["NOPE", product.sku, "1", "monthly", "", ""]]
    data = csv_bytes(header, rows, ";")
    imp = run(client, upload_id(upload(client, data, kind="subscriptions")))
    run_jobs("default")
    imp = fresh(imp)
    assert (imp.status, imp.completed_count, imp.failed_count) == (ImportStatus.COMPLETED, 2, 1)
    [subscription] = db.session.scalars(sa.select(Subscription)).all()
    assert (subscription.customer_id, subscription.quantity) == (customer.id, 4)
    assert subscription.billing_type == "P1Y-monthly"
    scheduled = db.session.scalar(sa.select(Import).where(Import.source == ImportSource.SCHEDULED))
    assert scheduled.status is ImportStatus.PENDING and scheduled.run_at.strftime("%Y-%m-%d %H:%M") == later
    assert scheduled.items[0].customer_id == second.id and scheduled.items[0].quantity == 2

    again = run(client, upload_id(upload(client, data, kind="subscriptions")))
    run_jobs("default")
    again = fresh(again)
    assert (again.completed_count, again.failed_count) == (0, 3)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Import)
                             .where(Import.source == ImportSource.SCHEDULED)) == 1


def test_failed_rows_are_explained_in_the_readers_language(client, login, smtp):
    user = login(make_user(locale="es"))
    make_customer(user.reseller, code="K-00001")
    db.session.commit()
    imp = run(client, upload_id(upload(client, csv_bytes(CUSTOMER_HEADER, customer_rows(1)))))
    run_jobs("default")
    text = client.get(f"/imports/{imp.id}/failed-rows.csv").data.decode("utf-8-sig")
    assert "Ya tiene un cliente con el código K-00001." in text
    assert db.session.scalar(sa.select(ImportItem.reasons)) == ["You already have a customer with the code K-00001."]
    run_jobs("mail")
    [message] = smtp.wait_for_messages(1)
    assert "Fila 1: Ya tiene un cliente con el código K-00001." in mail_text(message)
