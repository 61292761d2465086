"""Template filters for money, numbers and times, formatted for the viewer's locale and time zone.

Use them everywhere a value is shown: {{ amount|money }}, {{ amount|money("EUR") }},
{{ when|local_datetime }} (the viewer's zone), {{ when|utc_datetime }} ("2026-11-22 15:04 UTC").
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import Flask
from flask_babel import format_currency, format_datetime, format_decimal
from flask_login import current_user


def money(value: Decimal | None, currency: str | None = None) -> str:
    if value is None:
        return ""
    if currency is None:
        reseller = getattr(current_user, "reseller", None)
        currency = reseller.currency if reseller is not None else "USD"
    return format_currency(value, currency)


def number(value) -> str:
    return "" if value is None else format_decimal(value)


def local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    return "" if value is None else format_datetime(value, fmt)  # flask-babel converts to the user's zone


def utc_datetime(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, number=number, local_datetime=local_datetime,
                                 utc_datetime=utc_datetime)
