"""Plain factory functions: build rows with sensible defaults, override what the test cares about."""
from __future__ import annotations

import itertools
from decimal import Decimal

from models import Category, Customer, Product, ProductKind, Reseller, Role, User, Vendor, db
from models.orders import DeliveryMethod, License, LicenseStatus, Order, OrderLine, OrderStatus, new_token
from services.accounts.passwords import hash_password

PASSWORD = "correct horse 42"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: argon2id is slow on purpose
_seq = itertools.count(1)


def make_reseller(**kw) -> Reseller:
    n = next(_seq)
    reseller = Reseller(**{"name": f"Reseller {n} S.A.", "tax_id": f"21{n:010d}", **kw})
    db.session.add(reseller)
    db.session.flush()
    return reseller


def make_user(role: Role = Role.RESELLER, reseller: Reseller | None = None, **kw) -> User:
    n = next(_seq)
    if role is Role.RESELLER and reseller is None:
        reseller = make_reseller()
    user = User(**{"email": f"user{n}@example.com", "name": f"User {n}", "password_hash": _PASSWORD_HASH,
                   "role": role, "reseller": reseller, **kw})
    db.session.add(user)
    db.session.flush()
    return user


def make_vendor(name: str | None = None) -> Vendor:
    name = name or f"Vendor {next(_seq)}"
    vendor = Vendor(name=name, slug=name.lower().replace(" ", "-"))
    db.session.add(vendor)
    db.session.flush()
    return vendor


def make_category(name: str | None = None) -> Category:
    name = name or f"Category {next(_seq)}"
    category = Category(name=name, slug=name.lower().replace(" ", "-"))
    db.session.add(category)
    db.session.flush()
    return category


def make_product(**kw) -> Product:
    n = next(_seq)
    kind = kw.pop("kind", ProductKind.LICENSE)
    fields = {
        "sku": f"SKU-{n:05d}", "name": f"Product {n}", "kind": kind,
        "price": Decimal("100.00"), "msrp": Decimal("125.00"), "cost": Decimal("80.00"),
        "billing_types": ["one-time"] if kind is ProductKind.LICENSE else ["P1Y-monthly", "monthly"],
        **kw,
    }
    if "vendor" not in fields:  # not setdefault: it would make a vendor (a category) even when one is given
        fields["vendor"] = make_vendor()
    if "category" not in fields:
        fields["category"] = make_category()
    product = Product(**fields)
    db.session.add(product)
    db.session.flush()
    return product


def make_customer(reseller: Reseller, **kw) -> Customer:
    n = next(_seq)
    customer = Customer(**{"reseller_id": reseller.id, "code": f"C-{n:04d}", "name": f"Customer {n} Ltda.",
                           "email": f"customer{n}@example.com", **kw})
    db.session.add(customer)
    db.session.flush()
    return customer


def make_order(user: User | None = None, lines: list[tuple[Product, int]] | None = None,
               status: OrderStatus = OrderStatus.PENDING, **kw) -> Order:
    """An order as checkout places it: frozen lines and one license per unit (AVAILABLE with a key
    when the order is APPROVED, PENDING otherwise)."""
    user = user or make_user(Role.RESELLER)
    lines = lines or [(make_product(), 2)]
    subtotal = sum((product.price * qty for product, qty in lines), Decimal("0"))
    order = Order(**{
        "reseller_id": user.reseller_id, "user_id": user.id, "status": status, "checkout_token": new_token(),
        "confirmation_email": user.email, "delivery_method": DeliveryMethod.ELECTRONIC,
        "currency": "USD", "tax_rate": Decimal("0"), "subtotal": subtotal, "tax": Decimal("0"), "total": subtotal,
        "lines": [OrderLine(product_id=p.id, sku=p.sku, product_name=p.name, vendor_name=p.vendor.name,
                            quantity=qty, unit_price=p.price) for p, qty in lines],
        **kw,
    })
    db.session.add(order)
    db.session.flush()
    approved = status is OrderStatus.APPROVED
    for line in order.lines:
        for seq in range(1, line.quantity + 1):
            db.session.add(License(order_line_id=line.id, seq=seq,
                                   key=f"KEY-{line.id}-{seq}" if approved else None,
                                   status=LicenseStatus.AVAILABLE if approved else LicenseStatus.PENDING))
    db.session.flush()
    return order
