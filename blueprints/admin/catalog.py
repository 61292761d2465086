"""Staff manage the catalog: vendors, categories and products (price history, terms versions)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import render
from blueprints.admin import bp
from blueprints.admin.catalog_forms import GroupForm, ProductForm, ProductSearchForm
from blueprints.auth.forms import EmptyForm
from models import Category, Product, User, Vendor, db
from services import DomainError
from services.catalog import catalog_admin
from services.catalog.catalog_admin import CatalogError
from services.numbers import page_number
from services.paging import parse_sort

PER_PAGE = 25
GROUPS = {"vendors": Vendor, "categories": Category}
SINGULAR = {"vendors": "vendor", "categories": "category"}


# --- products ------------------------------------------------------------------------------------

@bp.get("/catalog/")
def catalog_products():
    form = ProductSearchForm(formdata=request.args)
    query = (form.q.data or "") if form.validate() else ""
    sort = parse_sort(request.args.get("sort"), catalog_admin.PRODUCT_SORTS, "vendor")
    page = catalog_admin.products_page(query, request.args.get("page", 1, type=page_number), PER_PAGE, sort=sort)
    return render("admin/catalog/products.html", block="results", form=form, page=page, query=query, sort=sort)


@bp.get("/catalog/products/new")
def catalog_product_new():
    return _product_page(None, _product_form(formdata=None, currency="USD", max_quantity=1000, active=True))


@bp.post("/catalog/products/")
def catalog_product_create():
    form = _product_form()
    if form.validate_on_submit():
        try:
            product = catalog_admin.create_product(by=_me(), **_product_fields(form))
        except CatalogError as exc:
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Product %(name)s created.", name=product.name), "success")
            return redirect(url_for("admin.catalog_product_edit", product_id=product.id), 303)
    return _product_page(None, form, block="content"), 422


@bp.get("/catalog/products/<int:product_id>/edit")
def catalog_product_edit(product_id: int):
    product = db.get_or_404(Product, product_id)
    return _product_page(product, _product_form(product, formdata=None, obj=product))


@bp.post("/catalog/products/<int:product_id>/edit")
def catalog_product_update(product_id: int):
    product = db.get_or_404(Product, product_id)
    form = _product_form(product)
    if form.validate_on_submit():
        try:
            changes = catalog_admin.update_product(product, by=_me(), **_product_fields(form))
        except CatalogError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            db.session.commit()
            if "terms_version" in changes:
                flash(_("New terms: version %(v)s. Resellers must accept them again.", v=product.terms_version),
                      "success")
            flash(_("Product saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("admin.catalog_product_edit", product_id=product.id), 303)
    return _product_page(product, form, block="content"), 422


@bp.post("/catalog/products/<int:product_id>/deactivate")
def catalog_product_deactivate(product_id: int):
    return _toggle(db.get_or_404(Product, product_id), False, url_for("admin.catalog_products"))


@bp.post("/catalog/products/<int:product_id>/reactivate")
def catalog_product_reactivate(product_id: int):
    return _toggle(db.get_or_404(Product, product_id), True, url_for("admin.catalog_products"))


def _product_form(product: Product | None = None, **kwargs) -> ProductForm:
    form = ProductForm(**kwargs)
    vendors = db.session.scalars(sa.select(Vendor).order_by(Vendor.name)).all()
    categories = db.session.scalars(sa.select(Category).order_by(Category.name)).all()
    form.set_choices(vendors, categories, catalog_admin.prerequisite_choices(product))
    return form


def _product_fields(form: ProductForm) -> dict:
    return {key: getattr(form, key).data for key in catalog_admin.PRODUCT_FIELDS}


def _product_page(product: Product | None, form: ProductForm, block: str | None = None) -> str:
    history = catalog_admin.price_history(product) if product is not None else []
    return render("admin/catalog/product_form.html", block=block, form=form, product=product, history=history)


# --- vendors and categories ----------------------------------------------------------------------

@bp.get("/catalog/vendors/")
def catalog_vendors():
    return _groups("vendors")


@bp.get("/catalog/categories/")
def catalog_categories():
    return _groups("categories")


@bp.get("/catalog/vendors/new")
def catalog_vendor_new():
    return _group_page("vendors", None, GroupForm(formdata=None))


@bp.get("/catalog/categories/new")
def catalog_category_new():
    return _group_page("categories", None, GroupForm(formdata=None))


@bp.post("/catalog/vendors/")
def catalog_vendor_create():
    return _save_group("vendors", None)


@bp.post("/catalog/categories/")
def catalog_category_create():
    return _save_group("categories", None)


@bp.get("/catalog/vendors/<int:vendor_id>/edit")
def catalog_vendor_edit(vendor_id: int):
    vendor = db.get_or_404(Vendor, vendor_id)
    return _group_page("vendors", vendor, GroupForm(formdata=None, obj=vendor))


@bp.get("/catalog/categories/<int:category_id>/edit")
def catalog_category_edit(category_id: int):
    category = db.get_or_404(Category, category_id)
    return _group_page("categories", category, GroupForm(formdata=None, obj=category))


@bp.post("/catalog/vendors/<int:vendor_id>/edit")
def catalog_vendor_update(vendor_id: int):
    return _save_group("vendors", db.get_or_404(Vendor, vendor_id))


@bp.post("/catalog/categories/<int:category_id>/edit")
def catalog_category_update(category_id: int):
    return _save_group("categories", db.get_or_404(Category, category_id))


@bp.post("/catalog/vendors/<int:vendor_id>/deactivate")
def catalog_vendor_deactivate(vendor_id: int):
    return _toggle(db.get_or_404(Vendor, vendor_id), False, url_for("admin.catalog_vendors"))


@bp.post("/catalog/vendors/<int:vendor_id>/reactivate")
def catalog_vendor_reactivate(vendor_id: int):
    return _toggle(db.get_or_404(Vendor, vendor_id), True, url_for("admin.catalog_vendors"))


@bp.post("/catalog/categories/<int:category_id>/deactivate")
def catalog_category_deactivate(category_id: int):
    return _toggle(db.get_or_404(Category, category_id), False, url_for("admin.catalog_categories"))


@bp.post("/catalog/categories/<int:category_id>/reactivate")
def catalog_category_reactivate(category_id: int):
    return _toggle(db.get_or_404(Category, category_id), True, url_for("admin.catalog_categories"))


def _groups(plural: str) -> str:
    model = GROUPS[plural]
    sort = parse_sort(request.args.get("sort"), catalog_admin.group_sorts(model), "name")
    page = catalog_admin.groups_page(model, request.args.get("page", 1, type=page_number), PER_PAGE, sort)
    return render("admin/catalog/groups.html", plural=plural, singular=SINGULAR[plural], page=page, sort=sort)


def _group_page(plural: str, group: Vendor | Category | None, form: GroupForm, block: str | None = None) -> str:
    return render("admin/catalog/group_form.html", block=block, plural=plural, singular=SINGULAR[plural], group=group,
                  form=form)


def _save_group(plural: str, group: Vendor | Category | None):
    form = GroupForm()
    if form.validate_on_submit():
        try:
            if group is None:
                group = catalog_admin.create_group(GROUPS[plural], by=_me(), name=form.name.data, slug=form.slug.data)
            else:
                catalog_admin.update_group(group, by=_me(), name=form.name.data, slug=form.slug.data)
        except CatalogError as exc:
            db.session.rollback()
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s saved.", name=group.name), "success")
            return redirect(url_for(f"admin.catalog_{plural}"), 303)
    return _group_page(plural, group, form, block="content"), 422


# --- shared --------------------------------------------------------------------------------------

def _toggle(obj: Vendor | Category | Product, active: bool, back: str):
    """Deactivate or reactivate (a CSRF-checked button; the page asked for confirmation first)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        catalog_admin.set_active(obj, active, by=_me())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("%(name)s is active again.", name=obj.name) if active
              else _("%(name)s is deactivated: resellers no longer see it.", name=obj.name), "success")
    return redirect(back, 303)


def _attach_error(form, exc: CatalogError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    (field.errors if field is not None else form.form_errors).append(str(exc))


def _me() -> User:
    return current_user._get_current_object()
