"""Template filters for money, numbers and times, formatted for the viewer's locale and time zone.

Use them everywhere a value is shown: {{ amount|money }}, {{ amount|money("EUR") }},
{{ when|local_datetime }} (the viewer's zone), {{ when|utc_datetime }} ("2026-11-22 15:04 UTC").
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Flask
from flask_babel import get_locale, get_timezone
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from services.locales import regional_locale, translate_stored


def format_locale() -> Locale:
    """The viewer's language with their reseller's country conventions (es + UY: es_UY)."""
    locale = get_locale() or Locale.parse("en")
    if locale.territory:
        return locale  # already regional: an e-mail rendered under services.outbox.in_language_of
    reseller = getattr(current_user, "reseller", None)
    return regional_locale(locale.language, reseller.country if reseller is not None else None)


def money(value: Decimal | None, currency: str | None = None) -> str:
    if value is None:
        return ""
    if currency is None:
        reseller = getattr(current_user, "reseller", None)
        currency = reseller.currency if reseller is not None else "USD"
    return babel_numbers.format_currency(value, currency, locale=format_locale())


def number(value) -> str:
    return "" if value is None else babel_numbers.format_decimal(value, locale=format_locale())


def local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return babel_dates.format_datetime(value, fmt, tzinfo=get_timezone(), locale=format_locale())


def utc_datetime(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


# Failure reasons are stored in English; |reason shows them in the viewer's language (services.locales).
reason = translate_stored


# Every state a page shows, by its stored value (the enums are StrEnum and stay English in the database).
STATUS_LABELS = {
    "ACTIVE": _l("Active"), "INACTIVE": _l("Inactive"), "SUSPENDED": _l("Suspended"), "CANCELLED": _l("Cancelled"),
    "PENDING": _l("Pending"), "RUNNING": _l("Running"), "COMPLETED": _l("Completed"), "FAILED": _l("Failed"),
    "APPROVED": _l("Approved"), "REJECTED": _l("Rejected"), "AVAILABLE": _l("Available"),
    "ASSIGNED": _l("Assigned"), "ACTIVATED": _l("Activated"), "VOID": _l("Void"),
    "QUEUED": _l("Queued"), "SENDING": _l("Sending"), "SENT": _l("Sent"),
}


def status_label(value: str) -> str:
    return STATUS_LABELS.get(str(value), value)


def utc_and_local(value: datetime | None) -> Markup:
    """A scheduled or recorded time in UTC with the viewer's local time beside it."""
    if value is None:
        return Markup("—")
    return Markup('<time datetime="{}">{}</time> <small class="muted local-time">{}</small>').format(
        value.isoformat(), utc_datetime(value), local_datetime(value, "short"))


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, number=number, local_datetime=local_datetime,
                                 utc_datetime=utc_datetime, reason=reason,
                                 utc_and_local=utc_and_local, status_label=status_label)
