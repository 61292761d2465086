"""Users and resellers: creation and authentication."""
from __future__ import annotations

import hashlib
import hmac
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from models import Reseller, Role, User, db, utcnow
from services import DomainError
from services.accounts.passwords import hash_password, verify_password
from services.mail.addresses import AddressError, clean_address

MIN_PASSWORD_LENGTH = 8
PASSWORD_LINK_MAX_AGE = 3 * 24 * 3600  # seconds a set-password link lives; config PASSWORD_LINK_MAX_AGE overrides
_UNUSABLE_PREFIX = "!"  # never a valid argon2 hash: nobody can log in until a password is set


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
        raise AccountError(_("A user with the e-mail %(email)s already exists.", email=email))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if (role is Role.RESELLER) != (reseller is not None):
        raise AccountError(_("Reseller users need a reseller; staff and ops users have none."))
    user = User(email=email, password_hash=hash_password(password), role=role, reseller=reseller, name=name)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The enabled user with these credentials, or None (the same None for every failure).

    Only the password step: `record_login` once the user is in (after a second factor, if any)."""
    user = find_user(email)
    # An invited user without a password yet takes the same (dummy-hash) time as an unknown e-mail.
    if not verify_password(user.password_hash if user and has_usable_password(user) else None, password):
        return None
    if not user.enabled:
        return None
    return user


def record_login(user: User) -> None:
    """The user is in: note when, and void every set-password link still out there."""
    user.last_login_at = utcnow()
    user.password_link_nonce = None


def set_preferences(user: User, *, locale: str | None = None, timezone: str | None = None) -> None:
    """Save the user's language (None: follow the browser) and, if given, a valid IANA time zone."""
    if locale not in (None, "en", "es"):
        raise AccountError(_("Unknown language."))
    user.locale = locale
    if timezone is not None:
        if not is_valid_timezone(timezone):
            raise AccountError(_("Unknown time zone."))
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


class PasswordLinkError(AccountError):
    """A set-password link that cannot be used; `reason` is invalid, expired, used or disabled."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def unusable_password() -> str:
    return _UNUSABLE_PREFIX + secrets.token_urlsafe(24)


def has_usable_password(user: User) -> bool:
    return not user.password_hash.startswith(_UNUSABLE_PREFIX)


def has_usable_password_clause() -> sa.ColumnElement[bool]:
    """has_usable_password() as a WHERE clause."""
    return sa.not_(User.password_hash.startswith(_UNUSABLE_PREFIX))


def set_password(user: User, password: str) -> None:
    """Set a new password and end every session and every set-password link of the user."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    user.password_hash = hash_password(password)
    user.password_link_nonce = None
    user.end_sessions()


def password_link(user: User) -> str:
    """An absolute set-password URL: signed, expiring, and void once the password or sessions change,
    the user logs in, or a newer link is made (each link replaces the user's nonce: commit after)."""
    user.password_link_nonce = secrets.token_hex(16)
    token = _link_serializer().dumps([user.id, _link_fingerprint(user)])
    path = current_app.url_map.bind("canal").build("auth.set_password", {"token": token})
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def user_for_password_link(token: str) -> User:
    """The user a set-password link is for, or PasswordLinkError saying why it cannot be used."""
    max_age = current_app.config.get("PASSWORD_LINK_MAX_AGE", PASSWORD_LINK_MAX_AGE)
    try:
        user_id, fingerprint = _link_serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise PasswordLinkError("expired", _("This link has expired. Ask for a new one.")) from None
    except (BadSignature, ValueError, TypeError):
        raise PasswordLinkError("invalid", _("This link is not valid. Check that you copied all of it.")) from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not isinstance(fingerprint, str):
        raise PasswordLinkError("invalid", _("This link is not valid. Check that you copied all of it."))
    if not hmac.compare_digest(fingerprint, _link_fingerprint(user)):
        raise PasswordLinkError("used", _("This link has already been used or replaced by a newer one."))
    if not user.enabled:
        raise PasswordLinkError("disabled", _("This account is disabled."))
    return user


def _link_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="canal-set-password")


def _link_fingerprint(user: User) -> str:
    # Changes whenever the password is set, the sessions are ended, the user logs in or a newer link is
    # made: that makes a link single-use and only the newest one valid. No nonce: no link is valid.
    if user.password_link_nonce is None:
        return ""
    material = f"{user.session_token}:{user.password_hash}:{user.password_link_nonce}".encode()
    return hashlib.sha256(material).hexdigest()[:32]


class WrongPasswordError(AccountError):
    pass


def password_is_correct(user: User, password: str) -> bool:
    return verify_password(user.password_hash, password)


def change_password(user: User, current: str, new: str) -> None:
    """A user changing their own password: proves the current one; every session of theirs ends."""
    if not password_is_correct(user, current):
        raise WrongPasswordError(_("The current password is not correct."))
    set_password(user, new)
