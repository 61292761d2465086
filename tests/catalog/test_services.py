"""Catalog queries: only what is for sale, search over name, SKU, brand and tags, pages."""
from decimal import Decimal

import pytest

from services.catalog import catalog
from tests.factories import make_category, make_product, make_vendor

pytestmark = pytest.mark.usefixtures("app")  # these tests use the database, Redis or mail through the app


def names(pagination) -> list[str]:
    return [p.name for p in pagination.items]


def test_search_matches_name_sku_brand_and_tags_and_every_word():
    microsoft, eset = make_vendor("Microsoft"), make_vendor("ESET")
    esd = make_category("ESD")
    make_product(name="Windows 11 Pro", sku="KW9-00632", vendor=microsoft, category=esd, tags="windows,os,pro")
    make_product(name="Office Home 2024", sku="EP2-06622", vendor=microsoft, category=esd, tags="office")
    make_product(name="Endpoint Antivirus", sku="EEA-N1", vendor=eset, category=esd, tags="antivirus,security")
    assert names(catalog.search_products("windows")) == ["Windows 11 Pro"]
    assert names(catalog.search_products("ep2-06")) == ["Office Home 2024"]
    assert names(catalog.search_products("microsoft")) == ["Office Home 2024", "Windows 11 Pro"]
    assert names(catalog.search_products("SECURITY")) == ["Endpoint Antivirus"]
    assert names(catalog.search_products("microsoft pro")) == ["Windows 11 Pro"]
    assert names(catalog.search_products("nothing-like-this")) == []


def test_like_wildcards_in_the_query_are_literal():
    make_product(name="Plan 100% cloud")
    make_product(name="Plan 1000 cloud")
    assert names(catalog.search_products("100%")) == ["Plan 100% cloud"]
    assert names(catalog.search_products("_")) == []


def test_inactive_products_brands_and_categories_are_hidden():
    hidden_vendor, hidden_category = make_vendor(), make_category()
    visible = make_product(name="Visible")
    make_product(name="Off", active=False)
    make_product(name="Brand off", vendor=hidden_vendor)
    make_product(name="Category off", category=hidden_category)
    hidden_vendor.active = hidden_category.active = False
    assert names(catalog.search_products("")) == ["Visible"]
    assert [v.name for v, _ in catalog.active_vendors()] == [visible.vendor.name]
    assert catalog.vendor_by_slug(hidden_vendor.slug) is None
    assert catalog.active_product(visible.id) is visible


def test_brands_and_their_categories_come_with_counts():
    vendor, esd, cloud = make_vendor("Adobe"), make_category("ESD"), make_category("Cloud")
    for _ in range(3):
        make_product(vendor=vendor, category=esd)
    make_product(vendor=vendor, category=cloud)
    assert [(c.name, n) for c, n in catalog.vendor_categories(vendor)] == [("Cloud", 1), ("ESD", 3)]
    assert catalog.active_vendors() == [(vendor, 4)]


def test_results_come_a_page_at_a_time():
    vendor = make_vendor("Kaspersky")
    for i in range(25):
        make_product(name=f"Kaspersky {i:02d}", vendor=vendor, price=Decimal("29.90"))
    first, second = catalog.search_products("kaspersky"), catalog.search_products("kaspersky", page=2)
    assert (first.total, first.pages, len(first.items), len(second.items)) == (25, 2, 20, 5)
    assert names(second)[0] == "Kaspersky 20"
    assert catalog.search_products("kaspersky", page=9).items == []


def test_a_narrow_and_a_broad_search_list_the_same_pages(monkeypatch):
    # Up to the count cap, the matches are read in one pass and sorted; past it, the catalog is walked in
    # the list's order. Both must give the same pages: compare them with the cap set below the matches.
    microsoft, eset = make_vendor("Microsoft"), make_vendor("ESET")
    for i in range(7):
        make_product(name=f"Office {i}", sku=f"MS-{i}", vendor=microsoft if i % 2 else eset)
    make_product(name="Windows", sku="OFFICE-LIKE", vendor=microsoft)  # found by its SKU
    make_product(name="Antivirus", vendor=eset, tags="security")
    narrow = [names(catalog.search_products("OFFICE", page=p, per_page=3)) for p in (1, 2, 3, 4)]
    monkeypatch.setattr(catalog, "COUNT_CAP", 2)
    broad = [catalog.search_products("OFFICE", page=p, per_page=3) for p in (1, 2, 3, 4)]
    assert [names(page) for page in broad] == narrow
    assert narrow == [["Office 0", "Office 2", "Office 4"], ["Office 6", "Office 1", "Office 3"],
                      ["Office 5", "Windows"], []]
    assert broad[0].capped and broad[0].total == 6  # counted only to page 1's end and one page more
