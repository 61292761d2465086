"""What a price is for, in words: "per user and month, 1-year commitment" (cloud), "per device" (a license).

A cloud service's price is per unit and month whatever its billing type; the billing type says the term.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from models import PriceUnit, ProductKind

PER_UNIT = {PriceUnit.UNIT: _l("per unit"), PriceUnit.USER: _l("per user"), PriceUnit.DEVICE: _l("per device")}
PER_UNIT_AND_MONTH = {PriceUnit.UNIT: _l("per unit and month"), PriceUnit.USER: _l("per user and month"),
                      PriceUnit.DEVICE: _l("per device and month")}
TERMS = {"one-time": _l("one-time"), "monthly": _l("no commitment"), "P1Y-monthly": _l("1-year commitment"),
         "P1Y-annual": _l("1-year commitment, paid annually"), "P3Y-annual": _l("3-year commitment, paid annually")}


def price_basis(product, billing_type: str | None = None) -> str:
    """`product` (a Product or a catalog row: kind, unit, billing_types) priced per what, for how long: for one
    billing type, or every term the product offers ("… , 1-year commitment / no commitment")."""
    unit = PriceUnit(product.unit or PriceUnit.UNIT)
    if product.kind is ProductKind.LICENSE or product.kind == ProductKind.LICENSE.value:
        return str(PER_UNIT[unit])
    codes = [billing_type] if billing_type else list(product.billing_types or [])
    terms = _terms(codes)
    if not terms:
        return str(PER_UNIT_AND_MONTH[unit])
    return _("%(unit)s, %(terms)s", unit=PER_UNIT_AND_MONTH[unit], terms=" / ".join(terms))


def _terms(codes: Iterable[str]) -> list[str]:
    terms: list[str] = []
    for code in codes:
        term = str(TERMS.get(code, code))
        if term not in terms:
            terms.append(term)
    return terms
