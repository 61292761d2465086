"""Demo data for `make run`: two resellers, staff and ops logins, a realistic catalog, customers."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from models import (
    Category,
    Customer,
    PriceOverride,
    PriceUnit,
    Product,
    ProductKind,
    Reseller,
    Role,
    TeamRole,
    Vendor,
    db,
)
from services.accounts import accounts
from services.billing import demo as billing_demo
from services.subscriptions import demo as subscription_demo

DEMO_PASSWORD = "demo1234"
DEMO_LOGINS = [
    ("reseller@demo.test", Role.RESELLER, "Andes Software S.A."),
    ("reseller2@demo.test", Role.RESELLER, "Rio de la Plata IT SRL"),
    ("buyer@demo.test", Role.RESELLER, "Andes Software S.A."),
    ("viewer@demo.test", Role.RESELLER, "Andes Software S.A."),
    ("staff@demo.test", Role.STAFF, None),
    ("ops@demo.test", Role.OPS, None),
]
DEMO_TEAM_ROLES = {"buyer@demo.test": TeamRole.BUYER, "viewer@demo.test": TeamRole.VIEWER}  # others: admin
RESELLERS = {
    "Andes Software S.A.": dict(tax_id="211234560018", country="UY", currency="USD",
                                contact_email="soporte@andes.test"),  # its customers' replies go there
    "Rio de la Plata IT SRL": dict(tax_id="30-71234567-9", country="AR", currency="USD"),
}
VENDORS = ["Microsoft", "Adobe", "ESET", "Kaspersky"]
CATEGORIES = ["ESD", "Cloud"]
MS_TERMS = ("Microsoft Customer Agreement. The customer accepts the Microsoft Customer Agreement "
            "(https://www.microsoft.com/licensing/docs/customeragreement) and the NCE cancellation policy: "
            "a subscription can be cancelled within 7 days of its creation, with a prorated refund.")
# sku, name, vendor, category, kind, price, cost, billing types, extra
PRODUCTS = [
    ("KW9-00632", "Windows 11 Pro", "Microsoft", "ESD", "license", "199.00", "161.00", ["one-time"],
     dict(tags="windows,os,pro", description="Windows 11 Pro, 64-bit, all languages. One device per key.")),
    ("EP2-06622", "Office Home & Business 2024", "Microsoft", "ESD", "license", "249.00", "204.00", ["one-time"],
     dict(tags="office,word,excel,outlook", description="Word, Excel, PowerPoint and Outlook for one PC or Mac.")),
    ("KW9-00639", "Windows 11 Home", "Microsoft", "ESD", "license", "139.00", "112.00", ["one-time"],
     dict(tags="windows,os,home", description="Windows 11 Home, 64-bit, all languages.")),
    ("65325437", "Adobe Acrobat Pro 2024", "Adobe", "ESD", "license", "329.00", "268.00", ["one-time"],
     dict(tags="pdf,acrobat", description="Perpetual license for one user, Windows or macOS.")),
    ("EEA-N1-1Y", "ESET Endpoint Antivirus (1 year)", "ESET", "ESD", "license", "38.50", "29.00", ["one-time"],
     dict(tags="antivirus,security,endpoint", description="One device, one year of updates.")),
    ("KL4541XAKFS", "Kaspersky Plus (1 device, 1 year)", "Kaspersky", "ESD", "license", "29.90", "22.40",
     ["one-time"], dict(tags="antivirus,security", description="Home protection for one device.")),
    ("MS-TENANT", "Microsoft Organization tenant", "Microsoft", "Cloud", "subscription", "0.00", "0.00",
     ["monthly"], dict(tags="tenant,microsoft 365,azure", once_per_account=True, max_quantity=1,
                       description="The Microsoft Entra tenant every Microsoft cloud service needs.")),
    ("CFQ7TTC0LH18", "(NCE) Microsoft 365 Business Basic", "Microsoft", "Cloud", "subscription", "7.20",
     "6.00", ["P1Y-monthly", "P1Y-annual", "monthly"], dict(tags="m365,nce,email,teams")),
    ("CFQ7TTC0LDPB", "(NCE) Microsoft 365 Business Standard", "Microsoft", "Cloud", "subscription", "15.00",
     "12.50", ["P1Y-monthly", "P1Y-annual", "monthly"],
     dict(tags="m365,nce,office,teams", prerequisite="MS-TENANT")),
    ("CFQ7TTC0LH1G", "(NCE) Exchange Online Kiosk", "Microsoft", "Cloud", "subscription", "2.40", "2.00",
     ["P1Y-monthly", "P1Y-annual"], dict(tags="exchange,email,nce", prerequisite="MS-TENANT")),
    ("DZH318Z0BPS6", "Azure Plan", "Microsoft", "Cloud", "subscription", "0.00", "0.00", ["monthly"],
     dict(tags="azure,consumption", prerequisite="MS-TENANT",
          description="Pay-as-you-go Azure consumption, billed monthly in arrears.")),
    ("ADB-CCT-TEAMS", "Adobe Creative Cloud for teams - All Apps", "Adobe", "Cloud", "subscription", "89.99",
     "74.00", ["P1Y-monthly", "P1Y-annual"], dict(tags="adobe,creative cloud,photoshop")),
]
# Suggested selling prices (MSRP) and what one unit is, by SKU (the rest: per unit).
MSRP = {"KW9-00632": "229.00", "EP2-06622": "289.00", "KW9-00639": "159.00", "65325437": "379.00",
        "EEA-N1-1Y": "45.00", "KL4541XAKFS": "34.90", "MS-TENANT": "0.00", "CFQ7TTC0LH18": "8.40",
        "CFQ7TTC0LDPB": "17.60", "CFQ7TTC0LH1G": "2.90", "DZH318Z0BPS6": "0.00", "ADB-CCT-TEAMS": "104.99"}
UNITS = {"CFQ7TTC0LH18": PriceUnit.USER, "CFQ7TTC0LDPB": PriceUnit.USER, "CFQ7TTC0LH1G": PriceUnit.USER,
         "ADB-CCT-TEAMS": PriceUnit.USER, "KW9-00632": PriceUnit.DEVICE, "KW9-00639": PriceUnit.DEVICE}
CUSTOMERS = {
    "Andes Software S.A.": [
        ("C-001", "Estudio Contable Pérez & Asociados", "it@perezasociados.com.uy", "perezasociados.com.uy"),
        ("C-002", "Clínica del Sur S.A.", "sistemas@clinicadelsur.uy", "clinicadelsur.uy"),
        ("C-003", "Transportes Ñandú Ltda.", "admin@nandu.com.uy", "nandu.com.uy"),
    ],
    "Rio de la Plata IT SRL": [
        ("AR-10", "Panadería La Espiga", "compras@laespiga.com.ar", "laespiga.com.ar"),
        ("AR-11", "Bodega Los Andes S.A.", "ti@bodegalosandes.com.ar", "bodegalosandes.com.ar"),
    ],
}
# Microsoft tenant ids of some demo customers, so the New service wizard has one to offer.
CUSTOMER_TENANTS = {"C-001": "6f1c3a52-8d4e-4b7a-9c21-0e5f7a8b9c10", "C-002": "b2e4d6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b",
                    "AR-10": "3c5e7a9b-2d4f-4a6c-8e0b-1f3a5c7e9b2d"}


def seed(now: datetime | None = None) -> None:
    """Create whatever demo data is missing. Safe to run any number of times (`now`: for tests)."""
    resellers = {name: _reseller(name, **fields) for name, fields in RESELLERS.items()}
    for email, role, reseller_name in DEMO_LOGINS:
        if accounts.find_user(email) is None:
            user = accounts.create_user(email, DEMO_PASSWORD, role, reseller=resellers.get(reseller_name),
                                        name=email.split("@")[0].capitalize())
            user.team_role = DEMO_TEAM_ROLES.get(email, TeamRole.ADMIN)
    vendors = {name: _get_or_add(Vendor, name=name, slug=_slug(name)) for name in VENDORS}
    categories = {name: _get_or_add(Category, name=name, slug=_slug(name)) for name in CATEGORIES}
    db.session.flush()
    for row in PRODUCTS:
        _product(row, vendors, categories)
    for reseller_name, rows in CUSTOMERS.items():
        for code, name, email, domain in rows:
            _get_or_add(Customer, reseller_id=resellers[reseller_name].id, code=code,
                        defaults=dict(name=name, email=email, domain=domain, tenant_id=CUSTOMER_TENANTS.get(code, ""),
                                      country=resellers[reseller_name].country))
    _price_list(resellers["Rio de la Plata IT SRL"])
    db.session.flush()
    subscription_demo.seed_subscriptions(now)  # one in each state: window open or closing, renewing, ended
    billing_demo.seed_billing(now)  # past months closed (statements), this month's running charges


def _price_list(reseller: Reseller) -> None:
    """A price list to look at (staff: Resellers › Rio de la Plata IT SRL › Price list): its own price of Windows 11
    Pro (an ESD product, so the demo subscriptions, made at list prices, stay right)."""
    product = db.session.scalar(sa.select(Product).where(Product.sku == "KW9-00632"))
    _get_or_add(PriceOverride, reseller_id=reseller.id, product_id=product.id, starts_on=date(2026, 1, 1),
                defaults=dict(price=Decimal("189.00")))


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def _reseller(name: str, **fields) -> Reseller:
    reseller = _get_or_add(Reseller, name=name, defaults=fields)
    db.session.flush()
    return reseller


def _get_or_add(model, defaults: dict | None = None, **keys):
    row = db.session.scalar(sa.select(model).filter_by(**keys))
    if row is None:
        row = model(**keys, **(defaults or {}))
        db.session.add(row)
    return row


def _product(row: tuple, vendors: dict, categories: dict) -> None:
    sku, name, vendor, category, kind, price, cost, billing, extra = row
    if db.session.scalar(sa.select(Product.id).where(Product.sku == sku)) is not None:
        return
    extra = dict(extra)
    prerequisite_sku = extra.pop("prerequisite", None)
    prerequisite = db.session.scalar(sa.select(Product).where(Product.sku == prerequisite_sku)) \
        if prerequisite_sku else None
    is_cloud = kind == "subscription"
    db.session.add(Product(
        sku=sku, name=name, vendor=vendors[vendor], category=categories[category], kind=ProductKind(kind),
        price=Decimal(price), msrp=Decimal(MSRP.get(sku, price)), cost=Decimal(cost),
        unit=UNITS.get(sku, PriceUnit.UNIT), billing_types=billing, prerequisite=prerequisite,
        terms_text=MS_TERMS if is_cloud and vendor == "Microsoft" else
        (f"{vendor} end-user license terms apply." if is_cloud else ""),
        max_quantity=extra.pop("max_quantity", 300 if is_cloud else 500), **extra))
    db.session.flush()
