"""Every model, importable as `from models import db, User`."""
from models.accounts import Reseller, ResellerStatus, Role, TeamRole, User
from models.assignments import Assignment
from models.audit import AuditEvent
from models.base import db, utcnow
from models.billing import Charge, ChargeKind, ClosedMonth, Statement
from models.catalog import (
    BILLING_TYPES,
    COMMITMENT_MONTHS,
    Category,
    PriceOverride,
    PriceUnit,
    Product,
    ProductKind,
    ProductPrice,
    ResellerDiscount,
    Vendor,
)
from models.customers import Customer, CustomerStatus
from models.orders import (
    Cart,
    CartLine,
    Checkout,
    DeliveryMethod,
    License,
    LicenseStatus,
    Order,
    OrderLine,
    OrderStatus,
)
from models.outbox import EmailStatus, OutboxEmail
from models.provisioning import (
    CANCELLATION_WINDOW,
    Import,
    ImportItem,
    ImportSource,
    ImportStatus,
    ItemStatus,
    ServiceDraft,
    Subscription,
    SubscriptionStatus,
    TermsAcceptance,
)
from models.subscriptions import SubscriptionEvent, SubscriptionEventKind, SubscriptionReminder, SubscriptionSeats
from models.two_factor import RecoveryCode
from models.uploads import ImportUpload

__all__ = [
    "BILLING_TYPES",
    "CANCELLATION_WINDOW",
    "COMMITMENT_MONTHS",
    "Assignment",
    "AuditEvent",
    "Cart",
    "CartLine",
    "Category",
    "Charge",
    "ChargeKind",
    "Checkout",
    "ClosedMonth",
    "Customer",
    "CustomerStatus",
    "DeliveryMethod",
    "EmailStatus",
    "Import",
    "ImportItem",
    "ImportSource",
    "ImportUpload",
    "ImportStatus",
    "ItemStatus",
    "License",
    "LicenseStatus",
    "Order",
    "OrderLine",
    "OrderStatus",
    "OutboxEmail",
    "PriceOverride",
    "PriceUnit",
    "Product",
    "ProductKind",
    "ProductPrice",
    "RecoveryCode",
    "Reseller",
    "ResellerDiscount",
    "ResellerStatus",
    "Role",
    "TeamRole",
    "ServiceDraft",
    "Statement",
    "Subscription",
    "SubscriptionEvent",
    "SubscriptionEventKind",
    "SubscriptionReminder",
    "SubscriptionSeats",
    "SubscriptionStatus",
    "TermsAcceptance",
    "User",
    "Vendor",
    "db",
    "utcnow",
]
