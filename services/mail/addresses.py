"""E-mail address checks shared by every form and service that takes an address."""
from __future__ import annotations

from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from services import DomainError


class AddressError(DomainError):
    """Its message is lazy: it is often raised while an e-mail renders in its recipient's language
    (outbox.in_language_of), and is shown in the viewer's language when it is read (str())."""


def clean_address(address: str) -> str:
    """One valid address, normalised. Line breaks or a second recipient (header injection) are refused.

    `.test` domains are allowed: the demo logins use them.
    """
    if any(c in address for c in "\r\n,;") or len(address) > 254:
        raise AddressError(_l("Enter a valid e-mail address."))
    normalized = _normalized(address.strip())
    if normalized is None:
        raise AddressError(_l("Enter a valid e-mail address."))
    return normalized


@lru_cache(maxsize=4096)
def _normalized(address: str) -> str | None:
    # ~100 µs a call; a batch of import results e-mails the same few users over and over.
    try:
        return validate_email(address, check_deliverability=False, test_environment=True).normalized
    except EmailNotValidError:
        return None
