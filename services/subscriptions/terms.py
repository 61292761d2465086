"""Money and time rules of a subscription: terms, billing periods, cancellation windows, proration.

Pure functions (no database). Every moment is an aware UTC datetime, every amount a Decimal.

Terms
    A billing type (models.catalog.BILLING_TYPES) means a term length and a billing frequency, kept in TERMS
    and nowhere else: "P1Y-monthly" is a 1-year commitment billed each month, "P1Y-annual" a 1-year
    commitment paid up front, "P3Y-annual" three years billed each year, "monthly" a 1-month term (P1M)
    billed monthly. "one-time" is treated as a 1-month term billed once (only ESD products offer it).

    A term ends at the same UTC moment of day as it started: add_months() keeps hour, minute and second.
    Month arithmetic clamps to the end of the month: Jan 31 + 1 month = Feb 28 (Feb 29 in a leap year),
    Mar 31 + 1 month = Apr 30; Feb 29 + 1 year = Feb 28 of the next year. Every billing period and every
    renewal is counted from the term's start (start + k months), never from the previous period's end, so
    a term started on the 31st comes back to the 31st after a short month instead of drifting to the 28th.

Days
    Proration counts days of the term in UTC: a day is the 24 hours from the term's (or the lot's) moment of
    day, and a day that has started counts whole. A P1Y term has 365 days (366 when it spans a Feb 29).

Money
    A term's price is unit price (per seat and month) x seats x months of the term; one billing period's
    fee is unit price x seats x months of the period. Prorated amounts are the term price x days / days of
    the term, rounded half up to cents per line (each charge or credit is rounded once, by itself).
    A cancellation (or a removal of seats inside their window) credits what was charged for those seats
    minus what the days used cost: credit = charged - term price x used days / term days, never below zero.
    Example: P1Y billed monthly, 3 seats at 7.20, term of 365 days, cancelled on day 3: charged the first
    month 3 x 7.20 = 21.60; used 3 x 7.20 x 12 x 3 / 365 = 2.1304… -> 2.13; credit 19.47.

Windows
    A subscription may be cancelled for 7 days after it was provisioned or renewed; seats added mid-term may
    be removed for 7 days after they were added (their own window; they run to the same term end).

Term end
    At its term end an ACTIVE subscription with auto-renew renews (a new term at the price of that day); an ACTIVE
    one without auto-renew expires. A SUSPENDED one expires too, whatever its auto-renew: staff suspend a service
    that must not go on (unpaid, abuse), and a new term would bill the reseller for a year of it; reactivating is
    for within the term (after the term end there is nothing left to reactivate: a new service is provisioned).
    Reactivated before the term end, it renews as usual. CANCELLED and EXPIRED ones have no term end to act on.
"""
from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l

from models import CANCELLATION_WINDOW

CENT = Decimal("0.01")
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Term:
    code: str            # ISO 8601 duration of the term: P1M, P1Y, P3Y
    months: int          # length of the commitment
    billing_months: int  # length of one billing period (the whole term for one-time)
    label: object        # lazy label in words, e.g. "Monthly, 1-year commitment"


TERMS: dict[str, Term] = {
    "one-time": Term("P1M", 1, 1, _l("One-time, 1-month term")),
    "monthly": Term("P1M", 1, 1, _l("Monthly, 1-month term")),
    "P1Y-monthly": Term("P1Y", 12, 1, _l("Monthly, 1-year commitment")),
    "P1Y-annual": Term("P1Y", 12, 12, _l("Annual (paid upfront), 1-year commitment")),
    "P3Y-annual": Term("P3Y", 36, 12, _l("Annual, 3-year commitment")),
}


def term_of(billing_type: str) -> Term:
    """The term a billing type means (an unknown code is read as month-to-month)."""
    return TERMS.get(billing_type, TERMS["monthly"])


# --- time --------------------------------------------------------------------------------------------

def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole months, same time of day, the day clamped to the month's last (see the docstring)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def term_end(term_start: datetime, billing_type: str) -> datetime:
    return add_months(term_start, term_of(billing_type).months)


def billing_periods(term_start: datetime, billing_type: str) -> list[tuple[datetime, datetime]]:
    """The term's billing periods, each (start, end), counted from the term start."""
    term = term_of(billing_type)
    starts = range(0, term.months, term.billing_months)
    return [(add_months(term_start, k), add_months(term_start, min(k + term.billing_months, term.months)))
            for k in starts]


def period_containing(term_start: datetime, billing_type: str, at: datetime) -> tuple[datetime, datetime]:
    """The billing period `at` falls in (the last one for a moment at or after the term end).

    From the months elapsed (two or three add_months, not one per period of the term: a batch of seat changes
    computes thousands); the same periods as billing_periods()."""
    if at < term_start:  # no period holds it: the last one, as for a moment after the term
        return billing_periods(term_start, billing_type)[-1]
    term = term_of(billing_type)
    elapsed = (at.year - term_start.year) * 12 + at.month - term_start.month
    index = min(elapsed, term.months - 1) // term.billing_months * term.billing_months
    start = add_months(term_start, index)
    if start > at:  # later in its month than `at` (or clamped): the period before
        index -= term.billing_months
        start = add_months(term_start, index)
    return start, add_months(term_start, min(index + term.billing_months, term.months))


def days_between(start: datetime, end: datetime) -> int:
    """Days from start to end, a started day counted whole (0 when end is not after start)."""
    return max(math.ceil((end - start) / DAY), 0)


def term_days(term_start: datetime, end: datetime) -> int:
    return days_between(term_start, end)


def initial_term(billing_type: str, start: datetime) -> dict[str, datetime | bool]:
    """The term columns of a subscription provisioned (or renewed) at `start`."""
    end = term_end(start, billing_type)
    return {"term_start": start, "term_end": end, "price_protected_until": end, "auto_renew": True,
            "cancellable_until": window_end(start)}


def window_end(moment: datetime) -> datetime:
    """End of the cancellation window opened at `moment` (provisioning, renewal or seats added)."""
    return moment + CANCELLATION_WINDOW


def hours_left(until: datetime, now: datetime) -> int:
    """Whole hours left before `until` (0 in its last hour or after it)."""
    return max(int((until - now) // timedelta(hours=1)), 0)


# --- money -------------------------------------------------------------------------------------------

def cents(amount: Decimal) -> Decimal:
    """An amount rounded half up to cents (the rule for every line)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def term_price(unit_price: Decimal, quantity: int, billing_type: str) -> Decimal:
    return unit_price * quantity * term_of(billing_type).months


def period_fee(unit_price: Decimal, quantity: int, billing_type: str) -> Decimal:
    """One full billing period's fee (exact: unit prices are cents)."""
    return cents(unit_price * quantity * term_of(billing_type).billing_months)


def prorated(unit_price: Decimal, quantity: int, billing_type: str, days: int, days_in_term: int) -> Decimal:
    """What `days` days of the term cost, rounded half up to cents."""
    if days_in_term <= 0:
        return Decimal("0.00")
    return cents(term_price(unit_price, quantity, billing_type) * days / days_in_term)


@dataclass(frozen=True)
class Seats:
    """Seats billed together from `since` to the term end: a subscription's first lot or a later one."""

    unit_price: Decimal
    quantity: int
    billing_type: str
    term_start: datetime
    term_end: datetime
    since: datetime  # the term start, or when the seats were added

    @property
    def days_in_term(self) -> int:
        return term_days(self.term_start, self.term_end)

    def charge_at_adding(self) -> Decimal:
        """What adding them costs at `since`: the rest of the billing period they join (a full fee at its start)."""
        start, end = period_containing(self.term_start, self.billing_type, self.since)
        if self.since <= start:
            return period_fee(self.unit_price, self.quantity, self.billing_type)
        return prorated(self.unit_price, self.quantity, self.billing_type, days_between(self.since, end),
                        self.days_in_term)

    def charged_by(self, at: datetime) -> Decimal:
        """What was charged for them up to `at`: the charge at adding plus each later period begun by then."""
        later = [p for p, _ in billing_periods(self.term_start, self.billing_type) if self.since < p <= at]
        return self.charge_at_adding() + period_fee(self.unit_price, self.quantity, self.billing_type) * len(later)

    def used_by(self, at: datetime) -> Decimal:
        """What the days from `since` to `at` cost (a started day counts whole; at least one day)."""
        days = max(days_between(self.since, min(at, self.term_end)), 1)
        return prorated(self.unit_price, self.quantity, self.billing_type, days, self.days_in_term)

    def credit_at(self, at: datetime) -> Decimal:
        """The credit for cancelling (or removing) them at `at`: charged minus used, never below zero."""
        return max(self.charged_by(at) - self.used_by(at), Decimal("0.00"))
