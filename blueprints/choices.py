"""Select choices of current ISO codes, named in the reader's language (Babel's CLDR data): countries (ISO 3166-1
alpha-2), currencies (ISO 4217 legal tender somewhere today) and time zones (canonical IANA names grouped by region,
without the deprecated aliases such as US/Eastern or America/Buenos_Aires)."""
from __future__ import annotations

import unicodedata
from functools import cache
from zoneinfo import available_timezones

from babel import Locale
from babel.core import get_global
from flask_babel import get_locale
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

# CLDR territories that are not ISO 3166-1 countries: exceptional reservations and groupings.
_NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "IC", "TA", "XK", "EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"})
ZONE_REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian",
                "Pacific")


@cache
def country_codes() -> frozenset[str]:
    names = Locale("en").territories  # today's territories (without DD, YU, CS: those are only in the history)
    return frozenset(c for c in names if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES)


@cache
def currency_codes() -> frozenset[str]:
    """Currencies some country uses as legal tender today (not DEM, not the fund codes such as UYI)."""
    return frozenset(code for currencies in get_global("territory_currencies").values()
                     for code, _start, end, tender in currencies if end is None and tender)


@cache
def time_zones() -> tuple[str, ...]:
    aliases = get_global("zone_aliases")
    return tuple(sorted(name for name in available_timezones()
                        if name.split("/")[0] in ZONE_REGIONS and name not in aliases))


def canonical_zone(name: str) -> str:
    """A deprecated alias's current name (America/Buenos_Aires -> America/Argentina/Buenos_Aires)."""
    return get_global("zone_aliases").get(name, name)


def country_choices(blank: str | None = None) -> list[SelectChoice]:
    names = get_locale().territories
    codes = sorted(country_codes(), key=lambda code: _sort_key(names.get(code, code)))
    return ([SelectChoice("", blank)] if blank else []) + [
        SelectChoice(code, f"{names.get(code, code)} ({code})") for code in codes]


def _sort_key(name: str) -> str:
    """Alphabetical as a reader expects: accents do not move a name to the end (Åland near Albania)."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()


def currency_choices() -> list[SelectChoice]:
    names = get_locale().currencies
    return [SelectChoice(code, f"{code} · {names.get(code, code)}") for code in sorted(currency_codes())]


def time_zone_choices() -> list[SelectChoice]:
    """UTC first, then each region's zones in an <optgroup> (America/Argentina/Buenos_Aires: "Argentina / Buenos
    Aires" under America)."""
    return [SelectChoice("UTC", "UTC")] + [
        SelectChoice(name, name.partition("/")[2].replace("_", " ").replace("/", " / "), optgroup=name.split("/")[0])
        for name in time_zones()]


class CodeSelectField(SelectField):
    """A select of codes that also accepts the code typed in lower case (a CSV, an API, an old form)."""

    def process_formdata(self, valuelist):
        super().process_formdata([value.strip().upper() for value in valuelist])
