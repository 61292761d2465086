"""Placed orders: what resellers and staff see of them, and the decisions on them.

Every decision is a conditional UPDATE on the order's status, so approve, reject and cancel can
never both win, and a second click is refused without changing anything.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from models import Customer, License, LicenseStatus, Order, OrderLine, OrderStatus, User, db, utcnow
from services import DomainError, audit
from services.billing import ledger
from services.connectors import get_connector
from services.mail import outbox
from services.mail.outbox import public_url
from services.paging import Page, Sort, page_of, sorted_by


def N_(msgid: str) -> str:
    """Marks a msgid for extraction (one of pybabel's default keywords); translated where it is shown."""
    return msgid


PER_PAGE = 20
LICENSES_PER_PAGE = 50
# The tables' columns, not the mapped classes', for the selects of columns here: they need none of the ORM's work on
# each execution.
_ORDER, _LINE, _LICENSE = Order.__table__.c, OrderLine.__table__.c, License.__table__.c
# What the reseller's list of orders shows of each.
LISTED = (_ORDER.id, _ORDER.status, _ORDER.created_at, _ORDER.description, _ORDER.total, _ORDER.currency)

# What resellers read (an approved order is "Done" to them) and the ?status= filter values. The labels are
# msgids, translated where they are shown ({{ _(label) }}): a lazy string per row cost a catalog lookup each.
STATUS_LABELS = {OrderStatus.PENDING: N_("Pending"), OrderStatus.APPROVED: N_("Done"),
                 OrderStatus.REJECTED: N_("Rejected"), OrderStatus.CANCELLED: N_("Cancelled")}
LICENSE_LABELS = {LicenseStatus.PENDING: N_("Pending"), LicenseStatus.AVAILABLE: N_("Available"),
                  LicenseStatus.ASSIGNED: N_("Assigned"), LicenseStatus.ACTIVATED: N_("Activated"),
                  LicenseStatus.VOID: N_("Void")}
STATUS_FILTERS = {"pending": OrderStatus.PENDING, "done": OrderStatus.APPROVED,
                  "rejected": OrderStatus.REJECTED, "cancelled": OrderStatus.CANCELLED}


class OrderError(DomainError):
    pass


def reseller_order(reseller_id: int | None, order_id: int) -> Order | None:
    """The order if it belongs to this reseller; None otherwise (the view answers 404)."""
    order = db.session.get(Order, order_id)
    return order if order is not None and order.reseller_id == reseller_id else None


# The columns the reseller's order list sorts by (?sort=total, ?sort=-total); newest first unless asked.
SORTS = {"number": _ORDER.id, "date": _ORDER.created_at, "total": _ORDER.total, "status": _ORDER.status}
NEWEST_FIRST = Sort("number", descending=True)


def reseller_orders(reseller_id: int, *, status: OrderStatus | None = None, page: int = 1,
                    sort: Sort = NEWEST_FIRST) -> Page:
    """A page of the reseller's orders in `sort` order, as rows of LISTED (their lines: lines_of())."""
    where = [_ORDER.reseller_id == reseller_id]
    if status is not None:
        where.append(_ORDER.status == status)
    count = sa.select(sa.func.count()).select_from(Order.__table__).where(*where)
    tiebreak = () if sort.key == "number" else (_ORDER.id.desc(),)  # sorted by the id, nothing ties
    return page_of(sorted_by(sa.select(*LISTED).where(*where), sort, SORTS, *tiebreak), page, PER_PAGE, count=count)


def lines_of(order_ids: list[int], *, counting_licenses: bool = False) -> dict[int, list[sa.Row]]:
    """The lines of a page of orders, in one query: rows of (order_id, product_name, sku, quantity), and with
    `counting_licenses` (available, licenses): how many of the line's licenses are available, of how many."""
    lines: dict[int, list[sa.Row]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        stmt = (sa.select(_LINE.order_id, _LINE.product_name, _LINE.sku, _LINE.quantity)
                .where(_LINE.order_id.in_(list(order_ids))).order_by(_LINE.id))
        for line in db.session.execute(_counting_licenses(stmt) if counting_licenses else stmt):
            lines[line[0]].append(line)  # its order_id
    return lines


def availability_of(lines: dict[int, list[sa.Row]]) -> dict[int, tuple[int, int]]:
    """(available, total) licenses per order, from lines_of(..., counting_licenses=True)."""
    counts = {}
    for order_id, rows in lines.items():
        available = licenses = 0
        for *_line, line_available, line_licenses in rows:  # unpacked: cheaper than a Row's attributes
            available += line_available
            licenses += line_licenses
        counts[order_id] = (available, licenses)
    return counts


def _counting_licenses(lines: sa.Select) -> sa.Select:
    """`lines` (a select of order lines) with each line's AVAILABLE licenses and all its licenses: the one
    "available of total" count, for the licenses list, the order page and availability()."""
    available = sa.func.count(_LICENSE.id).filter(_LICENSE.status == LicenseStatus.AVAILABLE)  # 0, never NULL
    return (lines.add_columns(available.label("available"), sa.func.count(_LICENSE.id).label("licenses"))
            .outerjoin(License.__table__, _LICENSE.order_line_id == _LINE.id).group_by(_LINE.id))


def availability(order_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(available, total) licenses per order ((0, 0) for one without licenses), in one grouped query."""
    return availability_of(lines_of(order_ids, counting_licenses=True))


def order_lines(order: Order) -> list[tuple[OrderLine, int, int]]:
    """Each line of the order with its AVAILABLE and total licenses, in one grouped query."""
    stmt = _counting_licenses(sa.select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id))
    return [tuple(row) for row in db.session.execute(stmt)]


def order_licenses(order: Order, *, total: int, page: int = 1) -> Page:
    """A page of the order's licenses (of `total`), as rows of what the order page shows: product_name, sku,
    seq, key, status, customer_name."""
    customer = Customer.__table__.c
    items = (sa.select(_LINE.product_name, _LINE.sku, _LICENSE.seq, _LICENSE.key, _LICENSE.status,
                       customer.name.label("customer_name"))
             .select_from(License.__table__).join(OrderLine.__table__, _LINE.id == _LICENSE.order_line_id)
             .outerjoin(Customer.__table__, customer.id == _LICENSE.customer_id)
             .where(_LINE.order_id == order.id).order_by(_LINE.id, _LICENSE.seq))
    return page_of(items, page, LICENSES_PER_PAGE, total=total)


def approve_order(order: Order, staff: User) -> Order:
    """Issue the keys through the vendor connector and make every license AVAILABLE."""
    _decide(order, OrderStatus.APPROVED, decided_at=utcnow(), decided_by_id=staff.id)
    issued = _issue_keys(order)
    ledger.charge_order(order)  # the lines' charges, in the approval's transaction
    audit.record(staff, "order.approve", order, licenses=issued)
    with outbox.in_language_of(order.user):
        outbox.queue_email(order.confirmation_email, "order_approved", related=order, order=order,
                           order_url=public_url("licenses.order", order_id=order.id))
    return order


def reject_order(order: Order, staff: User, reason: str) -> Order:
    """Refuse the order; the reason is shown to the reseller and e-mailed."""
    reason = reason.strip()
    if not reason:
        raise OrderError(_("Give the reason for the rejection: the reseller will read it."))
    _decide(order, OrderStatus.REJECTED, decided_at=utcnow(), decided_by_id=staff.id, rejection_reason=reason)
    _void_licenses(order)
    audit.record(staff, "order.reject", order, reason=reason)
    with outbox.in_language_of(order.user):
        outbox.queue_email(order.confirmation_email, "order_rejected", related=order, order=order,
                           order_url=public_url("licenses.order", order_id=order.id))
    return order


def cancel_order(order: Order, user: User) -> Order:
    """The reseller withdraws an order staff have not decided on yet."""
    _decide(order, OrderStatus.CANCELLED, cancelled_at=utcnow())
    _void_licenses(order)
    audit.record(user, "order.cancel", order)
    return order


def _decide(order: Order, status: OrderStatus, **values) -> None:
    """Move a PENDING order to `status`, or refuse (and change nothing) if it is no longer PENDING."""
    stmt = (sa.update(Order).where(Order.id == order.id, Order.status == OrderStatus.PENDING)
            .values(status=status, **values).execution_options(synchronize_session=False))
    changed = db.session.execute(stmt).rowcount
    db.session.refresh(order)
    if changed != 1:
        raise OrderError(_refusal(order))


def _refusal(order: Order) -> str:
    already = {
        OrderStatus.APPROVED: _("Order %(number)s was already approved.", number=order.number),
        OrderStatus.REJECTED: _("Order %(number)s was already rejected.", number=order.number),
        OrderStatus.CANCELLED: _("Order %(number)s was cancelled by the reseller.", number=order.number),
    }
    return already.get(order.status, "") + " " + _("Nothing was changed.")


def _issue_keys(order: Order) -> int:
    """Keys from the vendor (idempotent on the order id) written onto the PENDING licenses."""
    connector = get_connector()
    table = License.__table__
    stmt = (table.update()
            .where(table.c.order_line_id == sa.bindparam("b_line"), table.c.seq == sa.bindparam("b_seq"),
                   table.c.status == LicenseStatus.PENDING.value)
            .values(key=sa.bindparam("b_key"), status=LicenseStatus.AVAILABLE.value))
    for line in order.lines:
        keys = connector.issue_keys(line.vendor_name, line.sku, line.quantity, idempotency_key=f"order-{order.id}")
        if len(keys) != line.quantity:
            raise OrderError(_("The vendor returned %(got)s keys for %(want)s licenses of %(sku)s. "
                               "Nothing was changed.", got=len(keys), want=line.quantity, sku=line.sku))
        params = [{"b_line": line.id, "b_seq": seq, "b_key": key} for seq, key in enumerate(keys, start=1)]
        db.session.execute(stmt, params)
    return order.license_count


def _void_licenses(order: Order) -> None:
    line_ids = sa.select(OrderLine.id).where(OrderLine.order_id == order.id).scalar_subquery()
    db.session.execute(sa.update(License).where(License.order_line_id.in_(line_ids),
                                                License.status == LicenseStatus.PENDING)
                       .values(status=LicenseStatus.VOID).execution_options(synchronize_session=False))
