"""Issues 18 and 22: the distributor's own cost (Product.cost) is never shown to a reseller. Every reseller page that
can show a product (the catalog, cart, checkout, orders, licenses and their export, customers, the New service
wizard with its review, imports, a CSV preview and its failed rows) and every e-mail sent to a reseller is
read in English and Spanish, with each product costing a distinctive 1234.56, while the reseller has a price list
(a 10 % discount), so what it is shown as its "Cost" is its own price."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import url_for
from pypdf import PdfReader

from jobs.provisioning import run_due_imports
from models import OutboxEmail, Product, ResellerDiscount, Role, db, utcnow
from services.imports import uploads
from services.provisioning import new_service
from tests.bulk_import import csv_bytes
from tests.factories import make_user
from tests.isolation.test_crawl import ARG, FILL, STAFF_AREAS
from tests.isolation.world import reseller_a_world
from tests.provisioning import due_now
from tests.support import HX, run_jobs

COST = Decimal("1234.56")
# The cost as any locale writes it, alone and times the quantities and commitments the pages multiply it by.
FORBIDDEN = {text for amount in (COST, COST * 2, COST * 4, COST * 12, COST * 24, COST * 48)
             for text in (f"{amount}", f"{amount:,}", f"{amount:,}".replace(",", "X").replace(".", ",")
                          .replace("X", "."), str(amount).replace(".", ","))}
SKIPPED = ("static", "auth.", "activation.", "main.home")


def reseller_urls(app, objects: dict) -> list[str]:
    cloud, esd = objects["draft"].product, objects["approved_order"].lines[0].product
    urls = {"/catalog/?q=Product", f"/catalog/?q={cloud.name}", f"/customers/{objects['customer'].id}",
            f"/imports/?open={objects['pending_import'].id}&open={objects['failed_import'].id}",
            f"/imports/?open={objects['completed_import'].id}",
            f"/licenses/export.csv?customer={objects['customer'].id}"}
    with app.test_request_context():
        for product in (cloud, esd):
            urls.add(url_for("catalog.brand", slug=product.vendor.slug))
            urls.add(url_for("catalog.category", slug=product.vendor.slug, category_slug=product.category.slug))
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint.startswith(STAFF_AREAS + SKIPPED):
                continue
            names = [name for _converter, name in ARG.findall(rule.rule)]
            if rule.endpoint == "catalog.product":
                urls.update(url_for(rule.endpoint, product_id=p.id) for p in (cloud, esd))
            elif set(FILL.get(rule.endpoint, {})) == set(names):
                args = {arg: objects[key].id for arg, key in FILL.get(rule.endpoint, {}).items()}
                urls.add(url_for(rule.endpoint, **args))
        for step in ("details", "delivery", "amount", "review"):
            urls.add(url_for("checkout.show", step=step))
    return sorted(urls)


def world() -> dict:
    objects = reseller_a_world()
    user, customer, cloud = objects["user"], objects["customer"], objects["draft"].product
    db.session.execute(sa.update(Product).values(cost=COST))
    cloud.msrp = Decimal("18.00")
    db.session.add(ResellerDiscount(reseller_id=user.reseller_id, percent=Decimal("10"),
                                    starts_on=utcnow().date() - timedelta(days=1)))
    db.session.commit()
    completed = due_now(user, customer, cloud, quantity=4)
    assert run_due_imports() == 1  # a subscription on the customer's page, a completed import with its e-mail
    header = ["customer_code", "sku", "quantity", "billing_type", "tenant_id", "schedule_at"]
    upload = uploads.save_upload(user.reseller, user, "subscriptions", "s.csv", csv_bytes(
        header, [[customer.code, cloud.sku, "2", "P1Y-monthly", "", ""], ["NOPE", cloud.sku, "1", "monthly", "", ""]]))
    draft = new_service.get_draft(user, customer, create=True)  # scheduling used up the world's draft
    draft.choose(cloud)
    draft.config = {**new_service.default_config(cloud, customer), "quantity": 2}
    db.session.commit()
    run_jobs("mail")
    return {**objects, "draft": draft, "completed_import": completed, "subscription_upload": upload}


def pdf_text(data: bytes) -> str:
    """A statement's PDF (billing) as its text."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def leaks(text: str) -> list[str]:
    return sorted(f for f in FORBIDDEN if f in text)


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_reseller_page_or_e_mail_shows_the_distributor_cost(app, client, login, language):
    objects = world()
    user = objects["user"]
    user.locale = language
    db.session.commit()
    login(user)
    urls = reseller_urls(app, objects) + [f"/imports/uploads/{objects['subscription_upload'].id}"]
    shown, wrong = 0, []
    for url in urls:
        for headers in ({}, HX):
            response = client.get(url, headers=headers)
            pdf = response.mimetype == "application/pdf"
            body = pdf_text(response.data) if pdf else response.get_data(as_text=True)
            if response.status_code in (200, 286):
                shown += 1
            if leaks(body):
                wrong.append(f"{url} ({headers or 'plain'}): {leaks(body)}")
    assert not wrong, "\n".join(wrong)
    assert shown >= 40
    review = client.get(f"/customers/{objects['customer'].id}/services/new/review").text
    assert "13.50" in review or "13,50" in review  # the control: the reseller's cost (its price) is shown
    emails = db.session.scalars(sa.select(OutboxEmail)).all()
    assert emails
    assert not [e.subject for e in emails if leaks(f"{e.subject} {e.body_text} {e.body_html}")]


def test_the_new_service_review_shows_the_resellers_price_as_cost_and_the_msrp_as_selling_price(client, login):
    objects = world()
    login(objects["user"])
    review = client.get(f"/customers/{objects['customer'].id}/services/new/review")
    assert review.status_code == 200
    html = review.text
    # 15.00 less 10 % is the reseller's cost; 18.00 the suggested selling price; two units, twelve months.
    for cell, amount in (("unit-cost", "$13.50"), ("unit-selling", "$18.00"), ("monthly-total", "$27.00"),
                         ("monthly-selling", "$36.00"), ("commitment-total", "$324.00"),
                         ("commitment-selling", "$432.00")):
        assert f'id="{cell}">{amount}<' in html
    assert "Cost" in html and "Selling price" in html and "per unit and month, 1-year commitment" in html
    assert not leaks(html)


def test_staff_see_the_distributor_cost(client, login):
    """The control: the cost is rendered where staff look, so the crawl above would notice it."""
    objects = world()
    login(make_user(Role.STAFF))
    page = client.get(f"/admin/catalog/products/{objects['draft'].product.id}/edit").text
    assert leaks(page)
