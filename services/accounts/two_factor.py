"""Two-factor login: TOTP (RFC 6238, pyotp) with one-time recovery codes.

Who must use it: the roles in config TWO_FACTOR_REQUIRED_ROLES (staff and ops by default), and every
user of a reseller whose `two_factor_required` is on (set by staff, or by the reseller's admin from the
team page). Others may turn it on for themselves. A TOTP code is accepted once: the step it belongs to
is claimed with a conditional UPDATE, so a code seen over someone's shoulder (or sent twice) is refused.
Recovery codes are random, so a SHA-256 of each is stored; each is claimed once the same way.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from models import RecoveryCode, Reseller, User, db, utcnow
from services import DomainError, audit

ISSUER = "Canal"
STEP_SECONDS = 30
VALID_WINDOW = 1  # steps either side of now: a phone whose clock is 30 s off still works
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt


class TwoFactorError(DomainError):
    pass


def is_enabled(user: User) -> bool:
    return user.totp_secret is not None


def is_required(user: User) -> bool:
    """Whether this user must log in with a second factor (their role, or their reseller's choice)."""
    if user.role.value in current_app.config.get("TWO_FACTOR_REQUIRED_ROLES", ()):
        return True
    return user.reseller is not None and user.reseller.two_factor_required


def must_enrol(user: User) -> bool:
    return is_required(user) and not is_enabled(user)


# --- Enrolment -----------------------------------------------------------------------------------

def new_secret() -> str:
    return pyotp.random_base32()


def qr_code_data_uri(user: User, secret: str) -> str:
    """The otpauth:// URI as an SVG QR code in a data: URI (the CSP allows data: images; no Pillow)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def enable(user: User, secret: str, code: str) -> list[str]:
    """Turn on two-factor login with `secret`, proven by a current code from the app; the recovery codes."""
    if is_enabled(user):
        raise TwoFactorError(_("Two-factor login is already on."))
    step = _matching_step(secret, code)
    if step is None:
        raise TwoFactorError(_("That code is not valid. Check the time on your phone and try the newest code."))
    user.totp_secret = secret
    user.totp_last_step = step
    db.session.flush()
    codes = _replace_recovery_codes(user)
    audit.record(user, "two_factor.enable", user)
    return codes


def disable(user: User, code: str) -> None:
    """The user turns it off themselves, with a code; not while it is required of them."""
    if is_required(user):
        raise TwoFactorError(_("Two-factor login is required for your account; it cannot be turned off."))
    if not verify(user, code):
        raise TwoFactorError(_("That code is not valid."))
    _clear(user)
    audit.record(user, "two_factor.disable", user)


def regenerate_recovery_codes(user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), with a code as proof."""
    if not verify(user, code):
        raise TwoFactorError(_("That code is not valid."))
    codes = _replace_recovery_codes(user)
    audit.record(user, "two_factor.recovery_codes", user)
    return codes


def reset_two_factor(user: User, actor: User | None) -> None:
    """Staff (or a reseller's admin; None: an operator at the command line) clear a user's second factor,
    e.g. after a lost phone. Audited.

    The user's sessions end; at the next login they enrol again if two-factor is required of them."""
    if not is_enabled(user):
        raise TwoFactorError(_("%(email)s has no two-factor login to reset.", email=user.email))
    _clear(user)
    user.end_sessions()
    audit.record(actor, "two_factor.reset", user, email=user.email)


def set_two_factor_required(reseller: Reseller, required: bool, actor: User) -> bool:
    """Require (or stop requiring) two-factor login of every user of `reseller`; audited. True if changed."""
    if reseller.two_factor_required == required:
        return False
    reseller.two_factor_required = required
    audit.record(actor, "reseller.two_factor_required", reseller, required=required)
    return True


# --- Login ---------------------------------------------------------------------------------------

def verify(user: User, code: str) -> str | None:
    """'totp' or 'recovery' if `code` is a valid, unused code of this user (and uses it up); else None."""
    if not is_enabled(user):
        return None
    digits = "".join(code.split())
    if digits.isdigit() and len(digits) == 6:
        step = _matching_step(user.totp_secret, digits)
        return "totp" if step is not None and _claim_step(user, step) else None
    return "recovery" if _claim_recovery_code(user, code) else None


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


def _matching_step(secret: str, code: str) -> int | None:
    code = "".join(code.split())
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time()) // STEP_SECONDS
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def _claim_step(user: User, step: int) -> bool:
    """Record `step` as used unless it (or a later one) already was: one winner, even concurrently."""
    claimed = db.session.execute(
        sa.update(User).where(User.id == user.id, sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount
    if claimed:
        set_committed_value(user, "totp_last_step", step)
    return claimed == 1


def _claim_recovery_code(user: User, code: str) -> bool:
    normalised = "".join(ch for ch in code.lower() if ch.isalnum())
    if len(normalised) != 10:
        return False
    return db.session.execute(
        sa.update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(normalised),
                                      RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)).rowcount == 1


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id)
                       .execution_options(synchronize_session=False))
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    db.session.flush()
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id)
                       .execution_options(synchronize_session=False))


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
