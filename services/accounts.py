"""Users and resellers: creation and authentication."""
from __future__ import annotations

import sqlalchemy as sa

from models import Reseller, Role, User, db, utcnow
from services import DomainError
from services.addresses import AddressError, clean_address
from services.passwords import hash_password, verify_password

MIN_PASSWORD_LENGTH = 8


class AccountError(DomainError):
    pass


def normalise_email(email: str) -> str:
    try:
        return clean_address(email).lower()
    except AddressError as exc:
        raise AccountError(str(exc)) from None


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def create_user(email: str, password: str, role: Role, reseller: Reseller | None = None,
                name: str = "") -> User:
    """Create a user; resellers' users must belong to a reseller, staff and ops must not."""
    email = normalise_email(email)
    if find_user(email) is not None:
        raise AccountError(f"A user with the e-mail {email} already exists.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if (role is Role.RESELLER) != (reseller is not None):
        raise AccountError("Reseller users need a reseller; staff and ops users have none.")
    user = User(email=email, password_hash=hash_password(password), role=role, reseller=reseller, name=name)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The enabled user with these credentials, or None (the same None for every failure)."""
    user = find_user(email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if not user.enabled:
        return None
    user.last_login_at = utcnow()
    return user


def set_preferences(user: User, *, locale: str | None = None, timezone: str | None = None) -> None:
    """Save the user's language (None: follow the browser) and, if given, a valid IANA time zone."""
    if locale not in (None, "en", "es"):
        raise AccountError("Unknown language.")
    user.locale = locale
    if timezone is not None:
        if not is_valid_timezone(timezone):
            raise AccountError("Unknown time zone.")
        user.timezone = timezone


def is_valid_timezone(name: str) -> bool:
    from zoneinfo import available_timezones

    return name in available_timezones()


def adopt_browser_settings(user: User, *, timezone: str, locale: str | None) -> None:
    """At first login, take the browser's time zone; a language picked before logging in is kept."""
    if user.timezone is None and is_valid_timezone(timezone):
        user.timezone = timezone
    if locale in ("en", "es"):
        user.locale = locale
