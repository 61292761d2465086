"""Whole numbers typed by people (query strings, CSV cells, stored reasons), parsed in one place.

Only ASCII digits count. `str.isdigit()` is true for "²" and "٣": `int()` refuses the first (a 500 where the
caller trusted isdigit) and reads the second as 3; a few thousand digits make `int()` raise too; and a value
beyond the database's integer range is a DataError (PostgreSQL) or an OverflowError (SQLite). Here such text
is either refused (None) or, for page numbers and the like, clamped into range.
"""
from __future__ import annotations

import re
from typing import Any

INT_MAX = 2**31 - 1   # PostgreSQL `integer`: ids, quantities, counts
MAX_PAGE = 100_000    # far past the end of any list; keeps OFFSET and LIMIT well inside 64 bits
_DIGITS = re.compile(r"[0-9]+")
_MAX_DIGITS = 18      # below 2**63 whatever the digits: no int() of thousands of digits


def parse_int(text: Any, minimum: int | None = None, maximum: int | None = INT_MAX) -> int | None:
    """`text` as an int when it is ASCII digits only (an int passes through) within [minimum, maximum], else None."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        value = text
    elif isinstance(text, str) and is_whole(text):
        value = int(text)
    else:
        return None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        return None
    return value


def is_whole(text: str) -> bool:
    """ASCII digits only, few enough for int() of any size to be cheap: where `str.isdigit()` was trusted."""
    return len(text) <= _MAX_DIGITS and _DIGITS.fullmatch(text) is not None


def clamp_int(text: Any, minimum: int, maximum: int) -> int | None:
    """ASCII digits (of any length) as an int clamped into [minimum, maximum]; None for anything else."""
    if isinstance(text, str) and _DIGITS.fullmatch(text):
        value = int(text) if len(text) <= _MAX_DIGITS else maximum
    elif isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        return None
    return min(max(value, minimum), maximum)


def whole_number(text: str) -> int | None:
    """A typed whole number such as a quantity ("3", "-2", " 12 "): ASCII digits with an optional minus; one beyond
    the database's range is clamped to it (so the caller's range check answers); None for anything else."""
    text = text.strip()
    negative = text.startswith("-")
    value = clamp_int(text[1:] if negative else text, 0, INT_MAX)
    if value is None:
        return None
    return -value if negative else value


def optional_id(value: Any) -> int | None:
    """A SelectField's `coerce` for an optional id: None for "" (and WTForms' "None"), the id for ASCII digits in
    the database's range; ValueError for anything else, so the field answers "Invalid Choice"."""
    if value in (None, "", "None"):
        return None
    number = parse_int(value, 1)
    if number is None:
        raise ValueError(value)
    return number


def page_number(text: str) -> int:
    """For `request.args.get("page", 1, type=page_number)`: a page from 1 to MAX_PAGE (a huge one is clamped);
    anything but ASCII digits raises ValueError, and Flask then answers with the default."""
    value = clamp_int(text, 1, MAX_PAGE)
    if value is None:
        raise ValueError(text)
    return value


def query_id(text: str) -> int:
    """For `request.args.get("customer", type=query_id)`: an id in the database's range, or ValueError (so the
    default: a foreign or impossible id then finds nothing)."""
    value = parse_int(text, 1, INT_MAX)
    if value is None:
        raise ValueError(text)
    return value
