"""Which locale formats money, numbers and dates: the reader's language with their country's conventions."""
from __future__ import annotations

import re
from functools import cache

from babel import Locale, UnknownLocaleError
from flask_babel import get_translations

from services.numbers import is_whole


@cache
def regional_locale(language: str, country: str | None = None) -> Locale:
    """The language with the country's formats when CLDR has them: es + UY is es_UY ("US$ 253,00"),
    en + UY has no CLDR locale and stays en ("$253.00")."""
    if country:
        try:
            return Locale(language, country.upper())
        except (UnknownLocaleError, ValueError):
            pass
    return Locale.parse(language)


# Failure reasons (ImportItem.reasons, CSV row errors) are stored in English, rendered from a msgid
# with its %(name)s values filled in; |reason shows them in the viewer's language by matching the
# catalog's msgids. Text that matches none (a vendor's own words) is shown as stored. Storing English
# keeps the data language-neutral: every reader (page, e-mail, CSV of failed rows) gets their own language.
_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])|%%")
_patterns: dict[int, tuple[object, list[tuple[re.Pattern, str]]]] = {}


def _msgid_pattern(msgid: str) -> re.Pattern:
    parts, seen, last = [], set(), 0
    for match in _PLACEHOLDER.finditer(msgid):
        parts.append(re.escape(msgid[last:match.start()]))
        name = match.group(1)
        parts.append("%" if name is None else f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
        seen.add(name)
        last = match.end()
    return re.compile("".join(parts) + re.escape(msgid[last:]), re.S)


def _literal(msgid: str) -> str:
    return _PLACEHOLDER.sub("", msgid)


def _catalog_patterns(translations) -> list[tuple[re.Pattern, str]]:
    cached = _patterns.get(id(translations))
    if cached is None or cached[0] is not translations:
        msgids = [key for key in getattr(translations, "_catalog", {}) if isinstance(key, str) and "%(" in key
                  and len(_literal(key)) >= 12]  # "%(name)s saved." would match too much
        msgids.sort(key=lambda m: len(_literal(m)), reverse=True)  # the most specific first
        cached = _patterns[id(translations)] = (translations, [(_msgid_pattern(m), m) for m in msgids])
    return cached[1]


def translate_stored(text: str) -> str:
    """A stored English message in the current language."""
    if not text:
        return text
    translations = get_translations()
    if translations.gettext(text) != text:
        return translations.gettext(text)
    for pattern, msgid in _catalog_patterns(translations):
        match = pattern.fullmatch(text)
        if match:
            values = {k: int(v) if is_whole(v) else translate_stored(v) if k == "reason" else v
                      for k, v in match.groupdict().items()}  # a %(reason)s is itself a stored reason
            return translations.gettext(msgid) % values
    return text
