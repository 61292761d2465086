"""One import, one status: the reseller (My imports) and staff (Admin → Imports) see the same words for it, and the
completion e-mail says the same outcome (services.imports.completion.shown_status)."""
import re

import pytest
import sqlalchemy as sa

from models import Import, ImportSource, ImportStatus, Role, db, utcnow
from services.imports.completion import COMPLETED_WITH_ERRORS, shown_status
from tests.factories import make_user
from tests.provisioning import cloud_setup


@pytest.mark.parametrize(("status", "failed", "shown"), [
    (ImportStatus.COMPLETED, 0, "COMPLETED"), (ImportStatus.COMPLETED, 3, COMPLETED_WITH_ERRORS),
    (ImportStatus.FAILED, 1, "FAILED"), (ImportStatus.PENDING, 0, "PENDING"), ("RUNNING", 2, "RUNNING")])
def test_the_shown_status(status, failed, shown):
    assert shown_status(status, failed) == shown


def status_cell(html: str, import_id: int) -> str:
    row = html.split(f'<tr id="import-{import_id}">')[1].split("</tr>")[0]
    return re.search(r'<span class="status [^"]*">[^<]*</span>', row).group(0)


def test_a_file_import_with_failed_rows_reads_completed_with_errors_for_the_reseller_and_for_staff(client, login):
    user, _customer, _product = cloud_setup()
    imp = Import(reseller_id=user.reseller_id, created_by_id=user.id, source=ImportSource.FILE,
                 account_type="customer", name="clientes.csv", import_type="CSV: customers",
                 status=ImportStatus.COMPLETED, run_at=utcnow(), completed_count=5, failed_count=2)
    db.session.add(imp)
    db.session.commit()
    login(user)
    mine = status_cell(client.get("/imports/").text, imp.id)
    login(make_user(role=Role.STAFF, reseller=None))
    staff = status_cell(client.get("/admin/imports/").text, imp.id)
    assert "Completed with errors" in mine and mine == staff
    db.session.execute(sa.update(Import).values(failed_count=0))
    db.session.commit()
    assert "Completed with errors" not in status_cell(client.get("/admin/imports/").text, imp.id)
