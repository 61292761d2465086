"""Issue 18: "²".isdigit() is true and int("²") raises; "٣" is read as 3. A CSV holding such numbers gets a clear
row error in the preview, its run completes with those rows failed, and the reasons stored for them show on
every page in Spanish too."""
import sqlalchemy as sa
from flask_babel import force_locale

from jobs.provisioning import run_due_imports
from models import CustomerStatus, Import, ImportItem, ImportStatus, ItemStatus, Role, Subscription, db
from services import locales
from tests.bulk_import import csv_bytes, run, upload, upload_id
from tests.factories import make_customer, make_user
from tests.provisioning import TENANT, cloud_setup, due_now
from tests.support import run_jobs

HEADER = ["customer_code", "sku", "quantity", "billing_type", "tenant_id", "schedule_at"]
ODD_QUANTITIES = ["²", "٣", "99999999999999999999", "9" * 5000, "1.5"]


def test_quantities_that_are_no_ascii_number_are_row_errors_and_the_run_completes_with_them_failed(client, login):
    user, customer, product = cloud_setup()
    login(user)
    rows = [[customer.code, product.sku, "4", "P1Y-monthly", "", ""]]
    others = [make_customer(user.reseller, tenant_id=customer.tenant_id) for _quantity in ODD_QUANTITIES]
    db.session.commit()
    rows += [[other.code, product.sku, quantity, "monthly", "", ""]
             for other, quantity in zip(others, ODD_QUANTITIES, strict=True)]
    upload_number = upload_id(upload(client, csv_bytes(HEADER, rows, ";"), kind="subscriptions"))

    preview = client.get(f"/imports/uploads/{upload_number}")
    assert preview.status_code == 200
    assert preview.text.count("Enter a quantity from 1 to 300.") == len(ODD_QUANTITIES)
    assert client.get(f"/imports/uploads/{upload_number}?invalid=1").status_code == 200

    imp = run(client, upload_number)
    run_jobs("default")
    db.session.expire_all()
    imp = db.session.get(Import, imp.id)
    assert (imp.status, imp.completed_count, imp.failed_count) == (ImportStatus.COMPLETED, 1, len(ODD_QUANTITIES))
    items = db.session.scalars(sa.select(ImportItem).where(ImportItem.import_id == imp.id)
                               .order_by(ImportItem.row_number)).all()
    assert [item.status for item in items] == [ItemStatus.COMPLETED] + [ItemStatus.FAILED] * len(ODD_QUANTITIES)
    assert [item.reasons for item in items[1:]] == [["Enter a quantity from 1 to 300."]] * len(ODD_QUANTITIES)
    assert db.session.scalar(sa.select(Subscription.quantity)) == 4  # only the valid row was provisioned


def test_stored_reasons_holding_superscript_codes_show_in_spanish_to_the_reseller_and_to_staff(client, login):
    user, _customer, product = cloud_setup(name="Azure plan")
    user.locale = "es"
    customer = make_customer(user.reseller, code="²", tenant_id=TENANT)
    db.session.commit()
    login(user)
    rows = [["٣", product.sku, "1", "monthly", "", ""]]
    file_import = run(client, upload_id(upload(client, csv_bytes(HEADER, rows, ";"), kind="subscriptions")))
    run_jobs("default")
    scheduled = due_now(user, customer, product)
    customer.status = CustomerStatus.INACTIVE  # the run fails: "… the customer ² is inactive."
    db.session.commit()
    run_due_imports()
    db.session.expire_all()
    assert db.session.get(Import, scheduled.id).status is ImportStatus.FAILED
    reasons = {item.import_id: item.reasons for item in db.session.scalars(sa.select(ImportItem))}
    assert reasons == {file_import.id: ["No customer with the code ٣ in your account."],
                       scheduled.id: ["Parent account not active: the customer ² is inactive."]}

    mine = client.get(f"/imports/?open={file_import.id}&open={scheduled.id}")
    assert mine.status_code == 200
    assert "No hay ningún cliente con el código ٣ en su cuenta." in mine.text
    assert "Cuenta principal no activa: el cliente ² está inactivo." in mine.text
    login(make_user(role=Role.STAFF, locale="es"))
    staff_page = client.get("/admin/imports/")
    assert staff_page.status_code == 200
    assert "Cuenta principal no activa: el cliente ² está inactivo." in staff_page.text


def test_stored_values_are_numbers_only_when_they_are_ascii_digits(app):
    with force_locale("es"):
        assert locales.translate_stored("Enter a quantity from 1 to 300.") == "Ingrese una cantidad de 1 a 300."
        assert locales.translate_stored("Enter a quantity from 1 to ²⁰.") == "Ingrese una cantidad de 1 a ²⁰."
        long_code = "9" * 5000  # int() refuses this many digits
        assert long_code in locales.translate_stored(f"No customer with the code {long_code} in your account.")
