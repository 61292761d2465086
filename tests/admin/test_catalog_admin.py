"""Catalog admin: vendors, categories and products; price history and price_on; the terms version bump."""
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from models import AuditEvent, Category, Product, ProductKind, ProductPrice, Role, Vendor, db, utcnow
from services.catalog import catalog, catalog_admin
from services.catalog.catalog_admin import CatalogError
from services.provisioning import provisioning
from tests.factories import make_category, make_product, make_reseller, make_user, make_vendor
from tests.provisioning import make_cloud_product
from tests.support import HX

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


def actions(obj) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == type(obj).__name__, AuditEvent.object_id == str(obj.id)).order_by(AuditEvent.id)))


def product_values(vendor, category, **kw) -> dict:
    return {"sku": "MS-365-BP", "name": "Microsoft 365 Business Premium", "description": "", "vendor_id": vendor.id,
            "category_id": category.id, "kind": "subscription", "price": Decimal("22.00"), "msrp": Decimal("26.40"),
            "cost": Decimal("18.50"), "unit": "user",
            "currency": "usd", "billing_types": ["monthly", "P1Y-monthly"], "terms_text": "", "once_per_account": False,
            "prerequisite_id": None, "tags": " office,  email ,", "max_quantity": 300, "active": True, **kw}


def form_data(vendor, category, **kw) -> dict:
    data = {"sku": "ESD-WIN11", "name": "Windows 11 Pro", "description": "Key by e-mail", "vendor_id": vendor.id,
            "category_id": category.id, "kind": "license", "price": "199.00", "msrp": "229.00", "cost": "150.00",
            "unit": "device", "currency": "USD",
            "billing_types": ["one-time"], "terms_text": "", "prerequisite_id": "", "tags": "windows",
            "max_quantity": "50", "active": "y"}
    data.update(kw)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def staff(login):
    return login(make_user(Role.STAFF))


# --- services ----------------------------------------------------------------------------------------

def test_create_product_cleans_values_records_the_first_price_and_audits():
    staff = make_user(Role.STAFF)
    product = catalog_admin.create_product(by=staff, **product_values(make_vendor(), make_category()))
    assert (product.currency, product.tags, product.terms_version) == ("USD", "office, email", 1)
    assert product.kind is ProductKind.SUBSCRIPTION
    [entry] = catalog_admin.price_history(product)
    assert (entry.price, entry.msrp, entry.cost, entry.changed_by_id) == (Decimal("22.00"), Decimal("26.40"),
                                                                          Decimal("18.50"), staff.id)
    assert actions(product) == ["product.create"]


@pytest.mark.parametrize("field,value,message", [
    ("price", Decimal("-1"), "zero or more"), ("cost", Decimal("1.005"), "two decimals"),
    ("billing_types", [], "at least one billing type"), ("sku", "  ", "required")])
def test_create_product_refuses_bad_values_next_to_the_field(field, value, message):
    with pytest.raises(CatalogError, match=message) as info:
        catalog_admin.create_product(by=make_user(Role.STAFF),
                                     **product_values(make_vendor(), make_category(), **{field: value}))
    assert info.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0


@pytest.mark.parametrize("name", ["Ärzte Software", "ÆON"])
def test_a_non_ascii_duplicate_name_is_refused_not_a_database_error(name):
    staff = make_user(Role.STAFF)
    catalog_admin.create_group(Vendor, by=staff, name=name)
    with pytest.raises(CatalogError, match="already taken"):
        catalog_admin.create_group(Vendor, by=staff, name=name)
    make_product(sku=name[:10])
    with pytest.raises(CatalogError, match="already has the SKU"):
        catalog_admin.create_product(by=staff, **product_values(make_vendor(), make_category(), sku=name[:10]))


def test_sku_is_unique_case_insensitively():
    make_product(sku="ABC-1", name="First")
    with pytest.raises(CatalogError, match="First already has the SKU abc-1"):
        catalog_admin.create_product(by=make_user(Role.STAFF),
                                     **product_values(make_vendor(), make_category(), sku="abc-1"))


def test_prerequisite_must_be_another_subscription_without_a_loop():
    staff = make_user(Role.STAFF)
    tenant = make_cloud_product(name="Azure tenant")
    license_ = make_product()
    values = product_values(tenant.vendor, tenant.category)
    with pytest.raises(CatalogError, match="must be a cloud subscription"):
        catalog_admin.create_product(by=staff, **{**values, "prerequisite_id": license_.id})
    m365 = catalog_admin.create_product(by=staff, **{**values, "prerequisite_id": tenant.id})
    assert m365.prerequisite is tenant
    with pytest.raises(CatalogError, match="loop") as info:
        catalog_admin.update_product(tenant, by=staff, **{**_values_of(tenant), "prerequisite_id": m365.id})
    assert info.value.field == "prerequisite_id"


def _values_of(product: Product) -> dict:
    return {key: getattr(product, key) for key in catalog_admin.PRODUCT_FIELDS}


def test_price_changes_are_dated_and_price_on_answers_for_any_moment():
    staff = make_user(Role.STAFF)
    product = make_product(price=Decimal("100.00"), cost=Decimal("80.00"))  # made before history existed
    product.created_at = utcnow() - timedelta(days=30)
    db.session.flush()
    before_change = utcnow()
    changes = catalog_admin.update_product(product, by=staff, **{**_values_of(product), "price": Decimal("120.00")})
    assert changes == {"price": [Decimal("100.00"), Decimal("120.00")]}
    history = catalog_admin.price_history(product)
    assert [(h.price, h.cost) for h in history] == [(Decimal("120.00"), Decimal("80.00")),
                                                    (Decimal("100.00"), Decimal("80.00"))]  # newest first
    assert history[1].effective_at == product.created_at and history[1].changed_by_id is None  # the baseline
    assert catalog_admin.price_on(product, product.created_at + timedelta(days=1)) == Decimal("100.00")
    assert catalog_admin.price_on(product, before_change) == Decimal("100.00")
    assert catalog_admin.price_on(product, utcnow()) == Decimal("120.00")
    catalog_admin.update_product(product, by=staff, **{**_values_of(product), "cost": Decimal("90.00")})
    assert len(catalog_admin.price_history(product)) == 3  # a cost change is dated too
    catalog_admin.update_product(product, by=staff, **{**_values_of(product), "msrp": Decimal("139.90")})
    assert catalog_admin.price_history(product)[0].msrp == Decimal("139.90")  # and an MSRP change
    catalog_admin.update_product(product, by=staff, **{**_values_of(product), "name": "Renamed"})
    assert len(catalog_admin.price_history(product)) == 4  # nothing about money: no entry
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "product.update")
                              .order_by(AuditEvent.id))
    assert event.details == {"changes": {"price": ["100.00", "120.00"]}}


def test_price_on_a_product_that_never_changed_is_its_price():
    product = make_product(price=Decimal("9.99"))
    assert catalog_admin.price_on(product, utcnow()) == Decimal("9.99")


def test_new_terms_text_bumps_the_version_and_resellers_must_accept_again():
    staff = make_user(Role.STAFF)
    reseller = make_reseller()
    product = make_cloud_product(accepted_by=reseller, terms_text="Version one.")
    assert provisioning.terms_accepted(reseller.id, product)
    same = catalog_admin.update_product(product, by=staff, **{**_values_of(product), "terms_text": "Version one.\r\n"})
    assert same == {} and product.terms_version == 1  # line endings and trailing space are not a new version
    changes = catalog_admin.update_product(product, by=staff, **{**_values_of(product), "terms_text": "Version two."})
    assert changes["terms_version"] == [1, 2] and product.terms_version == 2
    assert not provisioning.terms_accepted(reseller.id, product)


def test_vendors_and_categories_create_edit_deactivate_with_unique_names():
    staff = make_user(Role.STAFF)
    vendor = catalog_admin.create_group(Vendor, by=staff, name="  Trend   Micro ")
    assert (vendor.name, vendor.slug, vendor.active) == ("Trend Micro", "trend-micro", True)
    with pytest.raises(CatalogError, match="already taken") as info:
        catalog_admin.create_group(Vendor, by=staff, name="trend micro")
    assert info.value.field == "name"
    assert catalog_admin.update_group(vendor, by=staff, name="Trend Micro Inc.", slug="trend") == {
        "name": ["Trend Micro", "Trend Micro Inc."], "slug": ["trend-micro", "trend"]}
    catalog_admin.set_active(vendor, False, by=staff)
    with pytest.raises(CatalogError, match="already inactive"):
        catalog_admin.set_active(vendor, False, by=staff)
    assert actions(vendor) == ["vendor.create", "vendor.update", "vendor.deactivate"]
    category = catalog_admin.create_group(Category, by=staff, name="Security")
    assert actions(category) == ["category.create"]


# --- pages -------------------------------------------------------------------------------------------

def test_product_list_searches_and_paginates(client, staff):
    vendor = make_vendor("Kaspersky")
    for n in range(30):
        make_product(name=f"Endpoint {n:02d}", vendor=vendor, active=n % 2 == 0)
    make_product(name="Office 2024")
    db.session.commit()
    first = client.get("/admin/catalog/?q=endpoint").text
    assert first.count('<tr id="product-') == 25 and "Office 2024" not in first and "Inactive" in first
    assert "Page 1 of 2" in first and 'href="/admin/catalog/?q=endpoint&amp;page=2"' in first
    fragment = client.get("/admin/catalog/?q=kasper&page=2", headers=HX).text
    assert "<html" not in fragment and fragment.count('<tr id="product-') == 5
    assert "No product matches" in client.get("/admin/catalog/?q=nothing").text


def test_create_a_product_through_the_form(client, staff):
    vendor, category = make_vendor(), make_category()
    db.session.commit()
    page = client.get("/admin/catalog/products/new").text
    assert 'name="billing_types"' in page and "multiple" in page
    response = client.post("/admin/catalog/products/", data=form_data(vendor, category))
    assert response.status_code == 303
    product = db.session.scalar(sa.select(Product).where(Product.sku == "ESD-WIN11"))
    assert response.headers["Location"] == f"/admin/catalog/products/{product.id}/edit"
    assert product.price == Decimal("199.00") and product.billing_types == ["one-time"] and product.max_quantity == 50
    assert len(catalog_admin.price_history(product)) == 1


@pytest.mark.parametrize("field,value,message", [
    ("price", "-5", "Number must be at least 0"), ("price", "abc", "Not a valid decimal value"),
    ("cost", "1.234", "Use at most two decimals"), ("billing_types", None, "Choose at least one billing type"),
    ("max_quantity", "0", "Number must be between 1 and 1000000"), ("name", "", "This field is required")])
def test_bad_input_comes_back_422_with_the_message_next_to_the_field(client, staff, field, value, message):
    vendor, category = make_vendor(), make_category()
    db.session.commit()
    response = client.post("/admin/catalog/products/", data=form_data(vendor, category, **{field: value}))
    assert response.status_code == 422
    html = response.text
    assert f'id="{field}-error">{message}' in html
    assert 'value="Key by e-mail"' in html or "Key by e-mail</textarea>" in html  # what was typed stays
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0


def test_edit_a_price_shows_the_history_and_the_terms_bump(client, staff):
    product = make_product(price=Decimal("100.00"), cost=Decimal("80.00"), terms_text="Old terms.")
    db.session.commit()
    values = form_data(product.vendor, product.category, sku=product.sku, name=product.name, price="110.50",
                       cost="80.00", terms_text="New terms.")
    response = client.post(f"/admin/catalog/products/{product.id}/edit", data=values)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "New terms: version 2. Resellers must accept them again." in page
    history = page[page.index('id="price-history"'):]
    assert "$110.50" in history and "$100.00" in history and staff.email in history
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProductPrice)) == 2


def test_edit_refuses_a_taken_sku_and_changes_nothing(client, staff):
    make_product(sku="TAKEN")
    product = make_product(sku="MINE", price=Decimal("5.00"))
    db.session.commit()
    response = client.post(f"/admin/catalog/products/{product.id}/edit",
                           data=form_data(product.vendor, product.category, sku="TAKEN", price="7.00"))
    assert response.status_code == 422 and 'id="sku-error">' in response.text and 'value="TAKEN"' in response.text
    db.session.expire_all()
    assert (product.sku, product.price) == ("MINE", Decimal("5.00"))


def test_deactivate_and_reactivate_a_product_with_confirmation(client, staff):
    product = make_product(name="Old antivirus")
    db.session.commit()
    page = client.get(f"/admin/catalog/products/{product.id}/edit").text
    assert "hx-confirm=\"Deactivate Old antivirus? Resellers will no longer see it.\"" in page
    assert client.post(f"/admin/catalog/products/{product.id}/deactivate").status_code == 303
    db.session.expire_all()
    assert not product.active
    assert catalog.active_product(product.id) is None  # resellers no longer see it
    client.post(f"/admin/catalog/products/{product.id}/reactivate")
    db.session.expire_all()
    assert product.active and actions(product) == ["product.deactivate", "product.reactivate"]
    assert client.post("/admin/catalog/products/999/deactivate").status_code == 404


def test_vendor_and_category_pages(client, staff):
    response = client.post("/admin/catalog/vendors/", data={"name": "ESET", "slug": ""})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/catalog/vendors/"
    vendor = db.session.scalar(sa.select(Vendor).where(Vendor.name == "ESET"))
    listing = client.get("/admin/catalog/vendors/").text
    assert "ESET" in listing and "eset" in listing and "Deactivate ESET?" in listing
    duplicate = client.post("/admin/catalog/vendors/", data={"name": "eset", "slug": ""})
    assert duplicate.status_code == 422 and "is already taken" in duplicate.text and 'value="eset"' in duplicate.text
    bad_slug = client.post(f"/admin/catalog/vendors/{vendor.id}/edit", data={"name": "ESET", "slug": "Not ok"})
    assert bad_slug.status_code == 422 and "Use lowercase letters, digits and dashes." in bad_slug.text
    assert client.post(f"/admin/catalog/vendors/{vendor.id}/edit",
                       data={"name": "ESET spol.", "slug": "eset"}).status_code == 303
    assert client.post(f"/admin/catalog/vendors/{vendor.id}/deactivate").status_code == 303
    db.session.expire_all()
    assert (vendor.name, vendor.active) == ("ESET spol.", False)
    assert client.post("/admin/catalog/categories/", data={"name": "Backup"}).status_code == 303
    category = db.session.scalar(sa.select(Category).where(Category.name == "Backup"))
    assert "Backup" in client.get("/admin/catalog/categories/").text
    assert client.get(f"/admin/catalog/categories/{category.id}/edit").status_code == 200
    client.post(f"/admin/catalog/categories/{category.id}/deactivate")
    client.post(f"/admin/catalog/categories/{category.id}/reactivate")
    db.session.expire_all()
    assert category.active and actions(category) == ["category.create", "category.deactivate", "category.reactivate"]
