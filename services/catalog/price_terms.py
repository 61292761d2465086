"""What a price is for, in words: "per user and month, 1-year commitment" (cloud), "per device" (a license).

A cloud service's price is per unit and month whatever its billing type; the billing type says the term.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from flask_babel import gettext as flask_gettext

from models import PriceUnit, ProductKind


def N_(msgid: str) -> str:
    """Marks a msgid for extraction (one of pybabel's default keywords); price_basis translates it."""
    return msgid


PER_UNIT = {PriceUnit.UNIT: N_("per unit"), PriceUnit.USER: N_("per user"), PriceUnit.DEVICE: N_("per device")}
PER_UNIT_AND_MONTH = {PriceUnit.UNIT: N_("per unit and month"), PriceUnit.USER: N_("per user and month"),
                      PriceUnit.DEVICE: N_("per device and month")}
TERMS = {"one-time": N_("one-time"), "monthly": N_("no commitment"), "P1Y-monthly": N_("1-year commitment"),
         "P1Y-annual": N_("1-year commitment, paid annually"), "P3Y-annual": N_("3-year commitment, paid annually")}


def price_basis(product, billing_type: str | None = None, gettext: Callable[[str], str] = flask_gettext) -> str:
    """`product` (a Product or a catalog row: kind, unit, billing_types) priced per what, for how long: for one
    billing type, or every term the product offers ("… , 1-year commitment / no commitment"). `gettext` is the
    catalog to say it in (a template passes its render's: the filter runs on every product card)."""
    unit = product.unit or PriceUnit.UNIT  # a PriceUnit or its value: StrEnum members are their strings
    if product.kind == ProductKind.LICENSE:
        return gettext(PER_UNIT[unit])
    per_month = gettext(PER_UNIT_AND_MONTH[unit])
    terms = _terms([billing_type] if billing_type else product.billing_types or (), gettext)
    if not terms:
        return per_month
    return gettext("%(unit)s, %(terms)s") % {"unit": per_month, "terms": " / ".join(terms)}


def _terms(codes: Iterable[str], gettext: Callable[[str], str]) -> list[str]:
    terms: list[str] = []
    for code in codes:
        term = gettext(TERMS[code]) if code in TERMS else code
        if term not in terms:
            terms.append(term)
    return terms
