"""Which route(s) each form posts to, as whom, and the objects those routes need."""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask_wtf import FlaskForm

from models import OrderStatus, Role, db
from services.orders import assignments
from services.provisioning import new_service
from tests.checkout.support import fill_cart
from tests.factories import make_customer, make_order, make_product, make_user
from tests.provisioning import TENANT, make_cloud_product
from tests.subscriptions import make_subscription

BLUEPRINTS = Path(__file__).resolve().parents[2] / "blueprints"


@dataclass(frozen=True)
class Target:
    role: Role | None          # None: anonymous
    endpoint: str
    args: tuple[tuple[str, str], ...] = ()   # URL argument -> key of the world's objects
    method: str = "POST"


R, S = Role.RESELLER, Role.STAFF
TARGETS: dict[str, list[Target]] = {
    "admin.forms.ResellerForm": [Target(S, "admin.resellers_create"),
                                 Target(S, "admin.resellers_update", (("reseller_id", "reseller"),))],
    "team.forms.InviteUserForm": [Target(S, "admin.users_invite", (("reseller_id", "reseller"),)),
                                  Target(R, "team.invite")],
    "team.forms.ContactEmailForm": [Target(R, "team.contact_email")],
    "team.forms.TeamRoleForm": [Target(S, "admin.users_change_role",
                                       (("reseller_id", "reseller"), ("user_id", "user"))),
                                Target(R, "team.change_role", (("user_id", "user"),))],
    "admin.forms.FilterForm": [Target(S, "admin.orders_index", method="GET")],
    "admin.forms.OutboxFilterForm": [Target(S, "admin.outbox_index", method="GET")],
    "admin.forms.AuditFilterForm": [Target(S, "admin.audit_index", method="GET"),
                                    Target(S, "admin.audit_export", method="GET")],
    "admin.catalog_forms.GroupForm": [Target(S, "admin.catalog_vendor_create"),
                                      Target(S, "admin.catalog_category_update", (("category_id", "category"),))],
    "admin.catalog_forms.ProductForm": [Target(S, "admin.catalog_product_create"),
                                        Target(S, "admin.catalog_product_update", (("product_id", "product"),))],
    "admin.catalog_forms.ProductSearchForm": [Target(S, "admin.catalog_products", method="GET")],
    "admin.price_list_forms.DiscountForm": [Target(S, "admin.price_list_add_discount", (("reseller_id", "reseller"),))],
    "admin.price_list_forms.OverrideForm": [Target(S, "admin.price_list_add_override", (("reseller_id", "reseller"),))],
    "auth.forms.LoginForm": [Target(None, "auth.login_submit")],
    "auth.forms.EmptyForm": [Target(R, "auth.logout")],
    "auth.forms.ChangePasswordForm": [Target(R, "auth.update_password")],
    "auth.forms.CodeForm": [Target(R, "auth.two_factor_enable"), Target(R, "auth.two_factor_disable"),
                            Target(R, "auth.two_factor_recovery_codes"), Target(None, "auth.login_code_submit")],
    "cart.forms.QuantityForm": [Target(R, "cart.update", (("line_id", "cart_line"),))],
    "catalog.forms.AddToCartForm": [Target(R, "cart.add")],
    "checkout.forms.DetailsForm": [Target(R, "checkout.submit", (("step", "=details"),))],
    "checkout.forms.DeliveryForm": [Target(R, "checkout.submit", (("step", "=delivery"),))],
    "checkout.forms.AmountForm": [Target(R, "checkout.submit", (("step", "=amount"),))],
    "checkout.forms.ReviewForm": [Target(R, "checkout.submit", (("step", "=review"),))],
    "customers.forms.CustomerForm": [Target(R, "customers.create"),
                                     Target(R, "customers.update", (("customer_id", "customer"),))],
    "licenses.forms.AssignForm": [Target(R, "licenses.assign", (("order_id", "order"),))],
    "licenses.forms.SendToForm": [Target(R, "licenses.send_to", (("assignment_id", "assignment"),))],
    "main.forms.PreferencesForm": [Target(R, "main.preferences_update")],
    "provisioning.forms.SelectServiceForm": [Target(R, "provisioning.choose", (("customer_id", "customer"),))],
    "provisioning.forms.TermsForm": [Target(R, "provisioning.accept", (("customer_id", "customer"),))],
    "provisioning.forms.ConfigureForm": [Target(R, "provisioning.save_configuration",
                                                (("customer_id", "customer"),))],
    "provisioning.forms.ScheduleForm": [Target(R, "provisioning.schedule", (("customer_id", "customer"),)),
                                        Target(R, "provisioning.local_time", (("customer_id", "customer"),), "GET")],
    "subscriptions.forms.ChangeForm": [Target(R, f"subscriptions.{view}", (("subscription_id", "subscription"),))
                                       for view in ("cancel", "change_quantity")],
    "subscriptions.forms.AutoRenewForm": [Target(R, "subscriptions.auto_renew",
                                                 (("subscription_id", "subscription"),))],
    "subscriptions.forms.ScheduleChangeForm": [Target(R, "subscriptions.schedule",
                                                      (("subscription_id", "subscription"),))],
}


def form_classes() -> dict[str, type[FlaskForm]]:
    """Every FlaskForm defined in blueprints/*/forms.py (and *_forms.py), by "area.module.Class"."""
    found = {}
    for path in sorted(BLUEPRINTS.glob("*/*forms.py")):
        module = importlib.import_module(f"blueprints.{path.parent.name}.{path.stem}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, FlaskForm) and cls is not FlaskForm and cls.__module__ == module.__name__:
                found[f"{path.parent.name}.{path.stem}.{name}"] = cls
    return found


def build_world() -> dict[str, object]:
    """A staff user, and a reseller user with a cart, an approved order, a customer, an assignment and a
    New service draft ready for every wizard step."""
    staff = make_user(Role.STAFF)
    user = make_user(Role.RESELLER)
    customer = make_customer(user.reseller, tenant_id=TENANT)
    product = make_product()
    order = make_order(user, lines=[(product, 5)], status=OrderStatus.APPROVED)
    fill_cart(user, (make_product(), 1))
    assignment = assignments.assign_licenses(order, order.lines[0].id, customer, 1, user)
    cloud = make_cloud_product(accepted_by=user.reseller)
    draft = new_service.get_draft(user, customer, create=True)
    draft.choose(cloud)
    draft.config = new_service.default_config(cloud, customer)
    db.session.commit()
    cart_line = user_cart_line(user)
    subscription = make_subscription(user, customer, cloud)
    return {"staff": staff, "user": user, "reseller": user.reseller, "customer": customer, "order": order,
            "subscription": subscription,
            "assignment": assignment, "product": product, "category": product.category, "cart_line": cart_line}


def user_cart_line(user):
    from models.orders import Cart, CartLine

    return db.session.scalar(sa.select(CartLine).join(Cart).where(Cart.user_id == user.id))


def row_counts() -> dict[str, int]:
    """Rows per table, in one statement (it runs before every fuzzed request)."""
    db.session.expire_all()
    counts = sa.select(*(sa.select(sa.func.count()).select_from(t).scalar_subquery().label(t.name)
                         for t in db.metadata.sorted_tables))
    with db.engine.connect() as conn:
        return dict(conn.execute(counts).one()._mapping)
