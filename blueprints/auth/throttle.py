"""Login throttling by account, counted in Redis through flask-limiter's storage (in memory if Redis is down).

Every POST /login from an address counts against that address (`@limiter.limit` in views.py). Inside the
view, once the body is parsed (form fields or JSON alike, the e-mail the login will check), an attempt also
counts against the pair (account, address): guesses from one place throttle that place only, never the real
user elsewhere. A successful login clears its pair. Failures from everywhere together count against the
account too (LOGIN_LIMIT_PER_ACCOUNT_ANYWHERE, many addresses guessing one password): once that is reached, a
password alone no longer logs in until the window moves on, but a user with two-factor login still can (the
code is the proof the password no longer is). Wrong two-factor codes count against the account from anywhere
(a code has a million values, so the pair would not protect it); a right one clears them.
"""
from __future__ import annotations

import hashlib
import logging
import math
import time
from functools import cache

from flask import current_app, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from extensions import limiter
from services.accounts import accounts, two_factor

log = logging.getLogger(__name__)


class Counter:
    """Attempts under one limit and key: `attempt()` claims one (False once the limit is reached)."""

    def __init__(self, limit_key: str, *identifiers: str):
        self.item: RateLimitItem = parse(current_app.config[limit_key])
        self.identifiers = ("canal-limits", *identifiers)

    def attempt(self) -> bool:
        return _call("hit", self.item, *self.identifiers)

    def clear(self) -> None:
        _call("clear", self.item, *self.identifiers)

    def wait_seconds(self) -> int:
        """How long until the next attempt is allowed (at least 1 s while the limit is reached)."""
        stats = _call("get_window_stats", self.item, *self.identifiers)
        return max(1, math.ceil(stats.reset_time - time.time())) if stats.remaining == 0 else 0


class LoginAttempts:
    """The password step's limits for one e-mail (hashed: no addresses stored in Redis) from this address."""

    def __init__(self, email: str):
        self.email = email.strip().lower()
        self.pair = Counter("LOGIN_LIMIT_PER_ACCOUNT", "login-pair", _digest(self.email), request.remote_addr or "-")
        self.anywhere = Counter("LOGIN_LIMIT_PER_ACCOUNT_ANYWHERE", "login-account", _digest(self.email))

    def wait_seconds(self) -> int:
        """Claim an attempt; 0 if it may go ahead, else how long to wait. Called before the password is checked,
        so the answer never depends on whether the password is right."""
        if not self.pair.attempt():
            return self.pair.wait_seconds()
        wait = self.anywhere.wait_seconds()
        return 0 if wait and _has_second_factor(self.email) else wait

    def failed(self) -> None:
        self.anywhere.attempt()

    def succeeded(self) -> None:
        self.pair.clear()  # a success uses up nothing, and forgives this place's earlier typos


def password_attempts(email: str) -> LoginAttempts:
    return LoginAttempts(email)


def code_attempts(user_id: int) -> Counter:
    return Counter("LOGIN_LIMIT_PER_CODE", "login-code", str(user_id))


def wait_minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def _has_second_factor(email: str) -> bool:
    user = accounts.find_user(email)
    return user is not None and two_factor.is_enabled(user)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _call(method: str, *args):
    """On the app's limiter storage (Redis); if that fails, on this process's memory, like flask-limiter."""
    try:
        return getattr(limiter.limiter, method)(*args)
    except Exception as exc:  # redis-py and limits raise several kinds; a login must not 500 on either
        log.warning("login throttle storage unreachable (%s); counting in memory", exc)
        return getattr(_memory_limiter(), method)(*args)


@cache  # one storage per process, so the counts made while Redis is down add up
def _memory_limiter() -> RateLimiter:
    return MovingWindowRateLimiter(MemoryStorage())
