"""Staff manage resellers: list, search, create, edit, suspend and reactivate (services and pages)."""
import pytest

from models import AuditEvent, Reseller, ResellerStatus, Role, db
from services.accounts import resellers
from tests.factories import make_reseller, make_user
from tests.support import HX

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


def actions(obj) -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).where(
        AuditEvent.object_type == type(obj).__name__, AuditEvent.object_id == str(obj.id)).order_by(AuditEvent.id)))


@pytest.fixture
def staff(login):
    return login(make_user(Role.STAFF))


# --- services ----------------------------------------------------------------------------------------

def test_create_reseller_cleans_the_fields_and_audits():
    staff = make_user(Role.STAFF)
    reseller = resellers.create_reseller(by=staff, name="  Acme   S.A. ", tax_id=" 2100 ", country="uy", currency="uyu")
    assert (reseller.name, reseller.tax_id, reseller.country, reseller.currency) == ("Acme S.A.", "2100", "UY", "UYU")
    assert reseller.status is ResellerStatus.ACTIVE
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "reseller.create"))
    assert event.actor_id == staff.id and event.object_id == str(reseller.id)


def test_a_tax_id_is_unique_within_a_country():
    staff = make_user(Role.STAFF)
    make_reseller(name="First", tax_id="123", country="UY")
    with pytest.raises(resellers.ResellerError, match="First already has the tax id 123") as info:
        resellers.create_reseller(by=staff, name="Second", tax_id="123", country="UY", currency="USD")
    assert info.value.field == "tax_id"
    other = resellers.create_reseller(by=staff, name="Second", tax_id="123", country="AR", currency="ARS")
    assert other.id


def test_update_reseller_records_only_what_changed():
    staff = make_user(Role.STAFF)
    reseller = make_reseller(name="Old", country="UY", currency="USD")
    changes = resellers.update_reseller(reseller, by=staff, name="New", tax_id=reseller.tax_id,
                                        country="UY", currency="USD")
    assert changes == {"name": ["Old", "New"]}
    event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "reseller.update"))
    assert event.details == {"changes": {"name": ["Old", "New"]}}
    assert resellers.update_reseller(reseller, by=staff, name="New", tax_id=reseller.tax_id,
                                     country="UY", currency="USD") == {}
    assert actions(reseller) == ["reseller.update"]


def test_suspend_and_reactivate_are_audited_and_refuse_repeats():
    staff = make_user(Role.STAFF)
    reseller = make_reseller()
    resellers.suspend_reseller(reseller, by=staff)
    assert reseller.status is ResellerStatus.SUSPENDED and not reseller.is_active
    with pytest.raises(resellers.ResellerError, match="already suspended"):
        resellers.suspend_reseller(reseller, by=staff)
    resellers.reactivate_reseller(reseller, by=staff)
    with pytest.raises(resellers.ResellerError, match="already active"):
        resellers.reactivate_reseller(reseller, by=staff)
    assert actions(reseller) == ["reseller.suspend", "reseller.reactivate"]


def test_search_matches_name_or_tax_id_and_escapes_wildcards():
    make_reseller(name="Andes Software", tax_id="AR-1")
    make_reseller(name="Plata 100% IT", tax_id="UY-2")
    names = lambda q: [r.name for r in db.session.scalars(resellers.search_resellers(q))]  # noqa: E731
    assert names("andes") == ["Andes Software"]
    assert names("uy-2") == ["Plata 100% IT"]
    assert names("100%") == ["Plata 100% IT"]
    assert names("%") == ["Plata 100% IT"]  # a literal percent sign, not "anything"


# --- pages -------------------------------------------------------------------------------------------

def test_list_searches_and_paginates(client, staff):
    for n in range(30):
        make_reseller(name=f"Reseller {n:02d}", tax_id=f"T{n:02d}")
    db.session.commit()
    html = client.get("/admin/resellers/").get_data(as_text=True)
    assert "Reseller 00" in html and "Reseller 24" in html and "Reseller 25" not in html
    assert "Page 1 of 2" in html and "page=2" in html
    page2 = client.get("/admin/resellers/?page=2").get_data(as_text=True)
    assert "Reseller 25" in page2 and "Reseller 00" not in page2
    fragment = client.get("/admin/resellers/?q=T07", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and "Reseller 07" in fragment and "Reseller 08" not in fragment
    assert "No reseller matches" in client.get("/admin/resellers/?q=zzz").get_data(as_text=True)


def test_empty_list_invites_to_create(client, staff):
    html = client.get("/admin/resellers/").get_data(as_text=True)
    assert "No resellers yet." in html and 'href="/admin/resellers/new"' in html


def test_create_from_the_form(client, staff):
    assert client.get("/admin/resellers/new").status_code == 200
    response = client.post("/admin/resellers/", data={"name": "Nuevo SRL", "tax_id": "219999", "country": "AR",
                                                      "currency": "ARS"})
    assert response.status_code == 303
    reseller = db.session.scalar(db.select(Reseller).filter_by(name="Nuevo SRL"))
    assert response.headers["Location"] == f"/admin/resellers/{reseller.id}"
    assert (reseller.country, reseller.currency) == ("AR", "ARS")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Reseller Nuevo SRL created." in html


def test_bad_input_comes_back_with_errors_and_what_was_typed(client, staff):
    response = client.post("/admin/resellers/", data={"name": "Typed S.A.", "tax_id": "", "country": "XX",
                                                      "currency": "USD"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="tax_id-error"' in html and 'id="country-error"' in html
    assert 'value="Typed S.A."' in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Reseller)) == 0


def test_duplicate_tax_id_is_shown_next_to_the_field(client, staff):
    make_reseller(name="Owner", tax_id="555", country="UY")
    db.session.commit()
    response = client.post("/admin/resellers/", data={"name": "Copy", "tax_id": "555", "country": "UY",
                                                      "currency": "USD"})
    assert response.status_code == 422
    assert "Owner already has the tax id 555 in UY." in response.get_data(as_text=True)


def test_edit_and_update(client, staff):
    reseller = make_reseller(name="Before", country="UY", currency="USD")
    db.session.commit()
    form = client.get(f"/admin/resellers/{reseller.id}/edit").get_data(as_text=True)
    assert 'value="Before"' in form
    response = client.post(f"/admin/resellers/{reseller.id}/edit", data={
        "name": "After", "tax_id": "X-1", "country": "CL", "currency": "CLP"})
    assert response.status_code == 303
    db.session.refresh(reseller)
    assert (reseller.name, reseller.tax_id, reseller.country, reseller.currency) == ("After", "X-1", "CL", "CLP")
    assert actions(reseller) == ["reseller.update"]
    bad = client.post(f"/admin/resellers/{reseller.id}/edit", data={"name": "", "tax_id": "X-1", "country": "CL",
                                                                    "currency": "NOPE"})
    assert bad.status_code == 422 and 'id="name-error"' in bad.get_data(as_text=True)


def test_suspend_and_reactivate_from_the_page(client, staff):
    reseller = make_reseller()
    db.session.commit()
    show = client.get(f"/admin/resellers/{reseller.id}").get_data(as_text=True)
    assert "hx-confirm=" in show and "Suspend" in show  # asks before doing it
    assert client.post(f"/admin/resellers/{reseller.id}/suspend").status_code == 303
    db.session.refresh(reseller)
    assert reseller.status is ResellerStatus.SUSPENDED
    html = client.get(f"/admin/resellers/{reseller.id}").get_data(as_text=True)
    assert "is suspended." in html and "Reactivate" in html
    client.post(f"/admin/resellers/{reseller.id}/suspend")  # twice: a clear message, nothing changes
    assert "is already suspended." in client.get(f"/admin/resellers/{reseller.id}").get_data(as_text=True)
    assert client.post(f"/admin/resellers/{reseller.id}/reactivate").status_code == 303
    db.session.refresh(reseller)
    assert reseller.status is ResellerStatus.ACTIVE
    assert actions(reseller) == ["reseller.suspend", "reseller.reactivate"]


def test_unknown_reseller_is_404(client, staff):
    assert client.get("/admin/resellers/999").status_code == 404
    assert client.post("/admin/resellers/999/suspend").status_code == 404


def test_admin_home_links_to_the_consoles(client, staff):
    html = client.get("/admin/").get_data(as_text=True)
    for href in ('href="/admin/resellers/"', 'href="/admin/outbox/"', 'href="/admin/audit/"',
                 'href="/admin/outbox/?status=FAILED"'):
        assert href in html
