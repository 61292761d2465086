"""Template filters for money, numbers and times, formatted for the viewer's locale and time zone.

Use them everywhere a value is shown: {{ amount|money }}, {{ amount|money("EUR") }},
{{ when|local_datetime }} (the viewer's zone, one format per language: "Dec 7, 2026, 3:04 PM", "7 dic 2026, 15:04";
the page names the zone once, in its footer), {{ when|utc_and_local }} (where scheduling needs UTC beside it),
{{ when|utc_datetime }} ("2026-11-22 15:04 UTC"), {{ when|age }} ("3 hours", how long ago).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo
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
    # The render's variables, then what it was given (Jinja's Context.vars and .parent, as context.get reads them)
    viewer = context.vars.get("viewer") or context.parent.get("viewer")
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
    """The viewer's local time in the one format of their language ("short" and "medium" alike; "full" spells
    the day out, e.g. on the scheduling review)."""
    if value is None:
        return ""
    viewer = _viewer(context)
    return _format_datetime(value, fmt, viewer.timezone, viewer.locale)


@lru_cache(maxsize=8192)
def _format_datetime(value: datetime, fmt: str, zone: tzinfo, locale: Locale) -> str:
    # Lists show the same rows' times on every view (measured with `make bench`: the licenses list).
    if fmt not in ("short", "medium"):
        return babel_dates.format_datetime(value, fmt, tzinfo=zone, locale=locale)
    # The date with a four-digit year, the time to the minute, joined as the language joins them
    day = babel_dates.format_date(value.astimezone(zone), "medium", locale=locale)
    clock = babel_dates.format_time(value, "short", tzinfo=zone, locale=locale)
    return str(locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", clock)


@pass_context
def local_date(context, value: date | None) -> str:
    """A calendar day (a renewal, a billing start) in the viewer's language, four-digit year."""
    if value is None:
        return ""
    return babel_dates.format_date(value, "medium", locale=_viewer(context).locale)


@pass_context
def age(context, value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in words of the viewer's language: "3 hours", "2 days"."""
    if value is None:
        return ""
    return babel_dates.format_timedelta((now or datetime.now(value.tzinfo)) - value, locale=_viewer(context).locale)


@pass_context
def zone_name(context) -> str:
    """The viewer's time zone as people say it ("Uruguay Time"), with its identifier."""
    zone = _viewer(context).timezone
    key = getattr(zone, "key", str(zone))
    if key == "UTC":
        return "UTC"
    return f"{babel_dates.get_timezone_location(zone, locale=_viewer(context).locale)} ({key.replace('_', ' ')})"


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
    "EXPIRED": N_("Expired"),
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
    """A scheduled time: the viewer's local time, with UTC beside it for those who schedule across zones
    (a viewer whose zone is UTC sees it once)."""
    if value is None:
        return Markup("—")
    viewer = _viewer(context)
    stamp = escape(value.isoformat())
    if getattr(viewer.timezone, "key", "") == "UTC":
        return Markup(f'<time datetime="{stamp}">{escape(utc_datetime(value))}</time>')
    local = _format_datetime(value, "short", viewer.timezone, viewer.locale)
    return Markup(f'<time datetime="{stamp}">{escape(local)}</time> '
                  f'<small class="muted utc-time">{escape(utc_datetime(value))}</small>')


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(zone_name=zone_name)
    app.jinja_env.filters.update(money=money, number=number, local_datetime=local_datetime, age=age,
                                 local_date=local_date, utc_datetime=utc_datetime, reason=reason,
                                 utc_and_local=utc_and_local, status_label=status_label_filter,
                                 order_number=order_number, tag_list=tag_list)
