"""Every model, importable as `from models import db, User`."""
from models.accounts import Reseller, ResellerStatus, Role, User
from models.audit import AuditEvent
from models.base import db, utcnow
from models.catalog import BILLING_TYPES, COMMITMENT_MONTHS, Category, Product, ProductKind, Vendor
from models.customers import Customer, CustomerStatus
from models.outbox import EmailStatus, OutboxEmail

__all__ = [
    "BILLING_TYPES",
    "COMMITMENT_MONTHS",
    "AuditEvent",
    "Category",
    "Customer",
    "CustomerStatus",
    "EmailStatus",
    "OutboxEmail",
    "Product",
    "ProductKind",
    "Reseller",
    "ResellerStatus",
    "Role",
    "User",
    "Vendor",
    "db",
    "utcnow",
]
