"""Secrets inside e-mails: set-password links (invite, password_reset), activation links and license keys
(license_activation). Whoever reads a message that is not theirs (ops in the dev mail catcher, staff in the
outbox) sees them masked, and opening such a message is audited; access logs keep the paths without tokens.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import getaddresses

MASK = "••••••••"
# The token of a set-password link (blueprints/auth/reset.py) or an activation link (blueprints/activation).
TOKEN_IN_PATH = re.compile(r"(/(?:set-password|activate)/)([^\s/?#\"'<>]+)")
# email/license_activation.txt lists the keys as "  1. KEY": indented two spaces, unlike its instructions.
KEY_LINE = re.compile(r"^(  \d+\. )(\S.*)$", re.MULTILINE)


@dataclass(frozen=True)
class MaskedText:
    text: str
    held_secret: bool


def mask(text: str) -> MaskedText:
    """The text with link tokens (and, in an activation e-mail, the license keys) replaced by MASK."""
    masked, links = TOKEN_IN_PATH.subn(lambda m: m[1] + MASK, text)
    keys = 0
    if "/activate/" in text:  # the activation e-mail: its indented numbered list is the keys
        masked, keys = KEY_LINE.subn(lambda m: m[1] + MASK, masked)
    return MaskedText(masked, bool(links or keys))


def belongs_to(viewer, recipients: str) -> bool:
    """Whether the viewer is the message's (only) recipient: then they may read their own link or keys."""
    addresses = [address.lower() for _, address in getaddresses([recipients]) if address]
    return addresses == [viewer.email.lower()]


def without_tokens(text: str) -> str:
    """A request line, path or URL with the tokens of set-password and activation links left out (access logs)."""
    return TOKEN_IN_PATH.sub(lambda m: m[1] + "[token]", text)
