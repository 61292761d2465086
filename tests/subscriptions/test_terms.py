"""The money and time rules (services.subscriptions.terms) with exact figures."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.subscriptions import terms
from services.subscriptions.terms import Seats


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("start", "months", "end"), [
    (utc(2026, 1, 31, 13, 45, 10), 1, utc(2026, 2, 28, 13, 45, 10)),   # clamped to February's last day
    (utc(2028, 1, 31, 0, 0), 1, utc(2028, 2, 29, 0, 0)),               # a leap February
    (utc(2026, 3, 31, 9, 0), 1, utc(2026, 4, 30, 9, 0)),
    (utc(2028, 2, 29, 23, 59, 59), 12, utc(2029, 2, 28, 23, 59, 59)),  # Feb 29 + 1 year = Feb 28
    (utc(2028, 2, 29, 6, 0), 48, utc(2032, 2, 29, 6, 0)),              # ... and back to a Feb 29 four years on
    (utc(2026, 11, 30, 8, 0), 3, utc(2027, 2, 28, 8, 0)),              # across the year
    (utc(2026, 12, 7, 4, 0), 36, utc(2029, 12, 7, 4, 0)),
])
def test_add_months_keeps_the_moment_of_day_and_clamps_to_the_months_end(start, months, end):
    assert terms.add_months(start, months) == end


def test_billing_periods_count_from_the_term_start_so_a_31st_comes_back_after_a_short_month():
    periods = terms.billing_periods(utc(2026, 1, 31, 10, 0), "P1Y-monthly")
    assert len(periods) == 12
    assert periods[0] == (utc(2026, 1, 31, 10, 0), utc(2026, 2, 28, 10, 0))
    assert periods[1] == (utc(2026, 2, 28, 10, 0), utc(2026, 3, 31, 10, 0))
    assert periods[-1][1] == utc(2027, 1, 31, 10, 0) == terms.term_end(utc(2026, 1, 31, 10, 0), "P1Y-monthly")
    assert terms.billing_periods(utc(2026, 1, 1), "P3Y-annual") == [
        (utc(2026, 1, 1), utc(2027, 1, 1)), (utc(2027, 1, 1), utc(2028, 1, 1)), (utc(2028, 1, 1), utc(2029, 1, 1))]


def test_each_billing_type_has_one_term_length_and_billing_frequency():
    assert {code: (t.code, t.months, t.billing_months) for code, t in terms.TERMS.items()} == {
        "one-time": ("P1M", 1, 1), "monthly": ("P1M", 1, 1), "P1Y-monthly": ("P1Y", 12, 1),
        "P1Y-annual": ("P1Y", 12, 12), "P3Y-annual": ("P3Y", 36, 12)}
    assert str(terms.term_of("P1Y-monthly").label) == "Monthly, 1-year commitment"


def test_initial_term_opens_a_seven_day_window_and_protects_the_price_for_the_term():
    start = utc(2026, 12, 7, 4, 30, 15)
    assert terms.initial_term("P1Y-monthly", start) == {
        "term_start": start, "term_end": utc(2027, 12, 7, 4, 30, 15),
        "price_protected_until": utc(2027, 12, 7, 4, 30, 15), "auto_renew": True,
        "cancellable_until": utc(2026, 12, 14, 4, 30, 15)}


def test_hours_left_counts_whole_hours():
    until = utc(2026, 12, 8, 12, 0)
    assert terms.hours_left(until, utc(2026, 12, 7, 12, 0)) == 24
    assert terms.hours_left(until, utc(2026, 12, 8, 10, 59)) == 1
    assert terms.hours_left(until, utc(2026, 12, 8, 11, 30)) == 0
    assert terms.hours_left(until, utc(2026, 12, 9)) == 0


MARCH_1 = utc(2026, 3, 1, 9, 0)


def p1y(billing_type="P1Y-monthly", start=MARCH_1, since=None, quantity=3, price="7.20") -> Seats:
    return Seats(Decimal(price), quantity, billing_type, start, terms.term_end(start, billing_type), since or start)


def test_p1y_monthly_3_seats_at_7_20_cancelled_on_day_3():
    seats = p1y()  # 365 days: 2026-03-01 09:00 to 2027-03-01 09:00
    day_3 = utc(2026, 3, 3, 15, 0)  # 2 days 6 hours in: the third day has started
    assert seats.days_in_term == 365
    assert seats.charged_by(day_3) == Decimal("21.60")    # the first month: 3 x 7.20
    assert seats.used_by(day_3) == Decimal("2.13")        # 3 x 7.20 x 12 x 3 / 365 = 2.1304…
    assert seats.credit_at(day_3) == Decimal("19.47")


def test_p1y_annual_credit_is_the_year_paid_upfront_minus_the_days_used():
    seats = p1y("P1Y-annual")
    assert seats.charged_by(utc(2026, 3, 3, 15, 0)) == Decimal("259.20")
    assert seats.credit_at(utc(2026, 3, 3, 15, 0)) == Decimal("257.07")


def test_a_term_over_a_leap_day_has_366_days():
    seats = p1y("P1Y-annual", start=utc(2027, 6, 1))
    assert seats.days_in_term == 366
    assert seats.used_by(utc(2027, 6, 3, 1, 0)) == Decimal("2.12")  # 259.20 x 3 / 366 = 2.1245…


def test_rounding_is_half_up_per_line():
    # 1 seat at 0.73 a month, P1Y: 8.76 a year; 1 day of 8.76 / 365 = 0.024 -> 0.02; 73 days = 1.752 -> 1.75
    # and 0.125 rounds up to 0.13 (not banker's 0.12)
    assert terms.prorated(Decimal("0.73"), 1, "P1Y-annual", 73, 365) == Decimal("1.75")
    assert terms.cents(Decimal("0.125")) == Decimal("0.13")
    assert terms.cents(Decimal("2.675")) == Decimal("2.68")


def test_seats_added_mid_period_pay_the_rest_of_the_period_and_get_their_own_credit():
    start = utc(2026, 3, 1, 9, 0)
    added = utc(2026, 3, 11, 9, 0)  # 10 days into a 31-day month: 21 days left of it
    seats = p1y(start=start, since=added, quantity=2)
    assert seats.charge_at_adding() == Decimal("9.94")  # 2 x 7.20 x 12 x 21 / 365 = 9.9418…
    assert seats.credit_at(added + timedelta(hours=5)) == Decimal("9.47")  # one day used: 0.4734… -> 0.47


def test_a_window_crossing_a_billing_date_credits_the_new_period_too():
    start = utc(2026, 3, 1, 9, 0)
    seats = p1y(start=start, since=utc(2026, 3, 29, 9, 0), quantity=1)  # 3 days left of March's period
    removed = utc(2026, 4, 2, 9, 0)  # 4 days later, after the April fee
    assert seats.charge_at_adding() == Decimal("0.71")  # 86.40 x 3 / 365 = 0.7101…
    assert seats.charged_by(removed) == Decimal("7.91")  # + April's 7.20
    assert seats.credit_at(removed) == Decimal("6.96")  # 7.91 - 86.40 x 4 / 365 (0.9468… -> 0.95)


def test_a_credit_is_never_negative():
    seats = p1y(quantity=1)  # the 31st day of March costs more than a flat monthly fee: 86.40 x 31 / 365 = 7.34
    assert seats.used_by(utc(2026, 3, 31, 10, 0)) == Decimal("7.34")
    assert seats.credit_at(utc(2026, 3, 31, 10, 0)) == Decimal("0.00")
