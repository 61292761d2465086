"""Template filters for money, numbers and times, formatted for the viewer's locale and time zone.

Use them everywhere a value is shown: {{ amount|money }}, {{ amount|money("EUR") }},
{{ when|local_datetime }} (the viewer's zone), {{ when|utc_datetime }} ("2026-11-22 15:04 UTC").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.support import Translations
from flask import Flask, g
from flask_babel import get_locale, get_timezone, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape

from models.catalog import tag_list
from models.orders import order_number
from services.locales import regional_locale, translate_stored


@dataclass(frozen=True)
class Viewer:
    """Who reads: their language with their reseller's country conventions (es + UY: es_UY), the reseller's
    currency, their time zone and their catalog. Made once per render (template_helpers) and read by the filters."""
    locale: Locale
    currency: str
    timezone: tzinfo
    translations: Translations


def current_viewer() -> Viewer:
    locale = get_locale() or Locale.parse("en")
    reseller = getattr(current_user, "reseller", None)
    if not locale.territory:  # a regional locale is already set by services.mail.outbox.in_language_of
        locale = regional_locale(locale.language, reseller.country if reseller is not None else None)
    return Viewer(locale, reseller.currency if reseller is not None else "USD", get_timezone(), get_translations())


def _viewer(context) -> Viewer:
    viewer = context.get("viewer")
    if isinstance(viewer, Viewer):
        return viewer
    # A macro imported without context: the viewer of the render under way (template_helpers keeps it)
    viewer = g.get("canal_viewer")
    return viewer if isinstance(viewer, Viewer) else current_viewer()


@pass_context
def money(context, value: Decimal | None, currency: str | None = None) -> str:
    if value is None:
        return ""
    viewer = _viewer(context)
    return _format_money(value, currency or viewer.currency, viewer.locale)


@lru_cache(maxsize=4096)
def _format_money(value: Decimal, currency: str, locale: Locale) -> str:
    # Pages repeat the same prices (equal Decimals format alike).
    return babel_numbers.format_currency(value, currency, locale=locale)


@pass_context
def number(context, value) -> str:
    return "" if value is None else _format_number(value, _viewer(context).locale)


@lru_cache(maxsize=4096)
def _format_number(value, locale: Locale) -> str:
    return babel_numbers.format_decimal(value, locale=locale)


@pass_context
def local_datetime(context, value: datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    viewer = _viewer(context)
    return _format_datetime(value, fmt, viewer.timezone, viewer.locale)


@lru_cache(maxsize=8192)
def _format_datetime(value: datetime, fmt: str, zone: tzinfo, locale: Locale) -> str:
    # Lists show the same rows' times on every view (measured with `make bench`: the licenses list).
    return babel_dates.format_datetime(value, fmt, tzinfo=zone, locale=locale)


def utc_datetime(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


# Failure reasons are stored in English; |reason shows them in the viewer's language (services.locales).
reason = translate_stored


def N_(msgid: str) -> str:
    """Marks a msgid for extraction; translated where it is shown."""
    return msgid


# Every state a page shows, by its stored value (the enums are StrEnum and stay English in the database).
STATUS_MSGIDS = {
    "ACTIVE": N_("Active"), "INACTIVE": N_("Inactive"), "SUSPENDED": N_("Suspended"), "CANCELLED": N_("Cancelled"),
    "PENDING": N_("Pending"), "RUNNING": N_("Running"), "COMPLETED": N_("Completed"), "FAILED": N_("Failed"),
    "APPROVED": N_("Approved"), "REJECTED": N_("Rejected"), "AVAILABLE": N_("Available"),
    "ASSIGNED": N_("Assigned"), "ACTIVATED": N_("Activated"), "VOID": N_("Void"),
    "QUEUED": N_("Queued"), "SENDING": N_("Sending"), "SENT": N_("Sent"),
}


def status_label(value: str) -> str:
    """The label of a status, lazily translated (form choices)."""
    msgid = STATUS_MSGIDS.get(str(value))
    return _l(msgid) if msgid else value


@pass_context
def status_label_filter(context, value: str) -> str:
    """{{ status|status_label }}: a stored state in the viewer's language."""
    msgid = STATUS_MSGIDS.get(str(value))
    return _viewer(context).translations.ugettext(msgid) if msgid else value


@pass_context
def utc_and_local(context, value: datetime | None) -> Markup:
    """A scheduled or recorded time in UTC with the viewer's local time beside it."""
    if value is None:
        return Markup("—")
    viewer = _viewer(context)
    local = _format_datetime(value, "short", viewer.timezone, viewer.locale)
    return Markup(f'<time datetime="{escape(value.isoformat())}">{escape(utc_datetime(value))}</time> '
                  f'<small class="muted local-time">{escape(local)}</small>')


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, number=number, local_datetime=local_datetime,
                                 utc_datetime=utc_datetime, reason=reason,
                                 utc_and_local=utc_and_local, status_label=status_label_filter,
                                 order_number=order_number, tag_list=tag_list)
