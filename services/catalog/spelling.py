"""The catalog search's second chance: a query that finds nothing is retried with each unknown word replaced by
the closest word of the catalog ("Ofice" -> "office"), difflib's ratio over the active products' and brands'
words. Only run when a search found nothing, so a normal search never pays for it."""
from __future__ import annotations

import difflib
import re

import sqlalchemy as sa

from models import Category, Product, Vendor, db

_WORD = re.compile(r"\w+")
CUTOFF = 0.75  # "ofice"/"office" is 0.91, "windos"/"windows" 0.92; unrelated short words stay below


def catalog_words() -> set[str]:
    """Every lowercased word of the active products' name, SKU and tags and of the active brands' names."""
    rows = db.session.execute(
        sa.select(Product.search_text).join(Product.vendor).join(Product.category)
        .where(Product.active, Vendor.active, Category.active))
    words = {word for (text,) in rows for word in _WORD.findall(text or "")}
    words.update(word for (name,) in db.session.execute(sa.select(Vendor.name).where(Vendor.active))
                 for word in _WORD.findall(name.lower()))
    return words


def corrected(q: str) -> str | None:
    """`q` with its words not in the catalog replaced by their closest catalog word; None if nothing changes."""
    terms = q.lower().split()
    if not terms:
        return None
    vocabulary = catalog_words()
    fixed = []
    for term in terms:
        if term in vocabulary or any(term in word for word in vocabulary):
            fixed.append(term)
            continue
        close = difflib.get_close_matches(term, vocabulary, n=1, cutoff=CUTOFF)
        fixed.append(close[0] if close else term)
    return " ".join(fixed) if fixed != terms else None
