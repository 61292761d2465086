"""The Subscriptions list (a reseller's, across its customers; staff's, across every reseller) and its CSV.

Filters come from the query string (parse_filters) so a filtered list survives reload and back, and the CSV
export takes the same filters. Paging with services.paging (numbered: range and total).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import Customer, Product, Reseller, Subscription, SubscriptionSeats, SubscriptionStatus, db
from services.numbers import parse_int
from services.orders.license_export import csv_chunks
from services.paging import Page, Sort, page_of, parse_sort, sorted_by
from services.subscriptions import terms

PER_PAGE = 25
RENEWING_DAYS = (30, 60, 90)
CLOSING_WITHIN = timedelta(hours=24)
LIVE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED)


@dataclass(frozen=True)
class Filters:
    status: str = ""          # a SubscriptionStatus value
    product_id: int | None = None
    customer_id: int | None = None
    reseller_id: int | None = None  # staff only
    closing: bool = False     # a cancellation window (the term's or a seat lot's) closes within 24 h
    renewing: int | None = None  # renews within 30, 60 or 90 days
    auto_renew_off: bool = False

    def query_args(self) -> dict[str, str | int]:
        """The filters as query-string arguments (for links: pages, CSV export)."""
        args = {k: v for k, v in asdict(self).items() if v not in (None, "", False)}
        return {k: ("1" if v is True else v) for k, v in args.items()}

    @property
    def any(self) -> bool:
        return bool(self.query_args())


def parse_filters(args: Mapping[str, str], staff: bool = False) -> Filters:
    """What the query string asks for; an unknown value is simply no filter."""
    status = args.get("status", "")
    renewing = parse_int(args.get("renewing"))
    return Filters(status=status if status in SubscriptionStatus.__members__ else "",
                   product_id=parse_int(args.get("product_id"), minimum=1),
                   customer_id=parse_int(args.get("customer_id"), minimum=1),
                   reseller_id=parse_int(args.get("reseller_id"), minimum=1) if staff else None,
                   closing=args.get("closing") == "1", renewing=renewing if renewing in RENEWING_DAYS else None,
                   auto_renew_off=args.get("auto_renew_off") == "1")


def _conditions(filters: Filters, reseller_id: int | None, now: datetime) -> list:
    where = [] if reseller_id is None else [Subscription.reseller_id == reseller_id]
    if filters.reseller_id is not None:
        where.append(Subscription.reseller_id == filters.reseller_id)
    if filters.status:
        where.append(Subscription.status == SubscriptionStatus(filters.status))
    if filters.product_id:
        where.append(Subscription.product_id == filters.product_id)
    if filters.customer_id:
        where.append(Subscription.customer_id == filters.customer_id)
    if filters.closing:
        soon = now + CLOSING_WITHIN
        lot_closing = sa.exists().where(SubscriptionSeats.subscription_id == Subscription.id,
                                        SubscriptionSeats.added_at >= Subscription.term_start,
                                        SubscriptionSeats.removed < SubscriptionSeats.quantity,
                                        SubscriptionSeats.cancellable_until > now,
                                        SubscriptionSeats.cancellable_until <= soon)
        where += [Subscription.status == SubscriptionStatus.ACTIVE,
                  sa.or_(sa.and_(Subscription.cancellable_until > now, Subscription.cancellable_until <= soon),
                         lot_closing)]
    if filters.renewing:
        where += [Subscription.status == SubscriptionStatus.ACTIVE, Subscription.auto_renew.is_(True),
                  Subscription.term_end > now, Subscription.term_end <= now + timedelta(days=filters.renewing)]
    if filters.auto_renew_off:
        where += [Subscription.auto_renew.is_(False), Subscription.status.in_(LIVE)]
    return where


def _select(where: list) -> sa.Select:
    return (sa.select(Subscription, Customer.name.label("customer_name"), Customer.code.label("customer_code"),
                      Product.name.label("product_name"), Product.sku.label("product_sku"),
                      Reseller.name.label("reseller_name"))
            .join(Customer, Customer.id == Subscription.customer_id)
            .join(Product, Product.id == Subscription.product_id)
            .join(Reseller, Reseller.id == Subscription.reseller_id)
            .where(*where))


def _ordered(stmt: sa.Select, filters: Filters) -> sa.Select:
    if filters.closing:
        return stmt.order_by(Subscription.cancellable_until, Subscription.id)
    if filters.renewing:
        return stmt.order_by(Subscription.term_end, Subscription.id)
    return stmt.order_by(Subscription.id.desc())


# The columns the list sorts by (?sort=term_end, ?sort=-quantity); without one, the filter's own order.
SORTS = {"created": Subscription.id, "reseller": sa.func.lower(Reseller.name), "customer": sa.func.lower(Customer.code),
         "name": sa.func.lower(Subscription.name), "quantity": Subscription.quantity, "term": Subscription.billing_type,
         "status": Subscription.status, "term_end": Subscription.term_end, "auto_renew": Subscription.auto_renew,
         "cancellable": Subscription.cancellable_until}


def default_sort(filters: Filters) -> str:
    """The order a filter reads best in (what _ordered() gives): the soonest first, else the newest."""
    return "cancellable" if filters.closing else "term_end" if filters.renewing else "-created"


def sort_of(value: str | None, filters: Filters) -> Sort:
    """The ?sort= value among SORTS, else the filter's own order (default_sort)."""
    return parse_sort(value, SORTS, default_sort(filters))


def _in_order(stmt: sa.Select, filters: Filters, sort: Sort | None) -> sa.Select:
    return _ordered(stmt, filters) if sort is None else sorted_by(stmt, sort, SORTS, Subscription.id)


def subscriptions_page(filters: Filters, now: datetime, page: int = 1, reseller_id: int | None = None,
                       per_page: int = PER_PAGE, sort: Sort | None = None) -> Page:
    """A page of rows (each .Subscription, customer_name/code, product_name/sku, reseller_name) in `sort` order
    (default_sort() unless given); `reseller_id` None lists every reseller's (staff)."""
    where = _conditions(filters, reseller_id, now)
    count = sa.select(sa.func.count()).select_from(Subscription).where(*where)
    return page_of(_in_order(_select(where), filters, sort), page, per_page, count=count, last_when_past_end=True)


def filter_choices(reseller_id: int | None) -> dict[str, list]:
    """The products and customers the filter menus offer: those the listed subscriptions use."""
    scope = [] if reseller_id is None else [Subscription.reseller_id == reseller_id]
    products = db.session.execute(sa.select(Product.id, Product.name).where(
        Product.id.in_(sa.select(Subscription.product_id).where(*scope))).order_by(Product.name)).all()
    customers = db.session.execute(sa.select(Customer.id, Customer.code, Customer.name).where(
        Customer.id.in_(sa.select(Subscription.customer_id).where(*scope))).order_by(Customer.code).limit(500)).all()
    return {"products": products, "customers": customers}


CSV_HEADER = (_l("Subscription"), _l("Customer code"), _l("Customer name"), _l("Product"), _l("SKU"), _l("Name"),
              _l("Quantity"), _l("Billing type"), _l("Status"), _l("Term start (UTC)"), _l("Term end (UTC)"),
              _l("Auto-renew"), _l("Unit price"), _l("Currency"), _l("Price protected until (UTC)"),
              _l("Cancellable until (UTC)"), _l("Tenant id"), _l("Vendor id"))
STAFF_CSV_HEADER = (_l("Reseller"), *CSV_HEADER)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def csv_export(filters: Filters, now: datetime, reseller_id: int | None = None,
               sort: Sort | None = None) -> Iterator[str]:
    """The filtered list as CSV chunks in the list's order (every cell neutralised against formula injection)."""
    stmt = _in_order(_select(_conditions(filters, reseller_id, now)), filters, sort).execution_options(yield_per=500)
    header = [str(h) for h in (STAFF_CSV_HEADER if reseller_id is None else CSV_HEADER)]

    def rows():
        for row in db.session.execute(stmt):
            sub = row.Subscription
            line = (sub.id, row.customer_code, row.customer_name, row.product_name, row.product_sku, sub.name,
                    sub.quantity, str(terms.term_of(sub.billing_type).label), sub.status.value, _when(sub.term_start),
                    _when(sub.term_end), "yes" if sub.auto_renew else "no", f"{sub.unit_price:.2f}", sub.currency,
                    _when(sub.price_protected_until), _when(sub.cancellable_until), sub.tenant_id, sub.external_id)
            yield (row.reseller_name, *line) if reseller_id is None else line
    return csv_chunks(rows(), header)


def reseller_subscription(reseller_id: int, subscription_id: int) -> Subscription | None:
    """The subscription if it is this reseller's (tenant isolation), else None."""
    return db.session.scalar(sa.select(Subscription).where(Subscription.id == subscription_id,
                                                           Subscription.reseller_id == reseller_id))
