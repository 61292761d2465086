"""The built-in connector: deterministic vendor rules and key generation, no network."""
from __future__ import annotations

import hashlib
import hmac
import re

from flask_babel import gettext as _

from services.connectors import ProvisionRequest, ProvisionResult

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MICROSOFT_KEY_ALPHABET = "BCDFGHJKMPQRTVWXY2346789"  # Microsoft product keys avoid look-alike characters
GENERIC_KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class LocalConnector:
    def __init__(self, secret: str):
        self.secret = secret.encode()

    def validate(self, request: ProvisionRequest) -> list[str]:
        reasons = []
        if request.vendor == "Microsoft" and not GUID.match(request.tenant_id or ""):
            reasons.append(_("The Microsoft tenant id must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."))
        if request.quantity < 1:
            reasons.append(_("The quantity must be at least 1."))
        return reasons

    def provision(self, request: ProvisionRequest) -> ProvisionResult:
        """The same idempotency key always yields the same subscription id, as a real vendor would."""
        d = self._digest(f"provision:{request.idempotency_key}")
        return ProvisionResult(external_id=f"{d[:8]}-{d[8:12]}-{d[12:16]}-{d[16:20]}-{d[20:32]}")

    def issue_keys(self, vendor: str, sku: str, count: int, idempotency_key: str) -> list[str]:
        """`count` keys in the vendor's format; the same idempotency key always yields the same keys."""
        alphabet = MICROSOFT_KEY_ALPHABET if vendor == "Microsoft" else GENERIC_KEY_ALPHABET
        groups = 5 if vendor == "Microsoft" else 4
        return [self._key(f"{idempotency_key}:{sku}:{i}", alphabet, groups) for i in range(count)]

    def _digest(self, message: str) -> str:
        return hmac.new(self.secret, message.encode(), hashlib.sha256).hexdigest()

    def _key(self, message: str, alphabet: str, groups: int) -> str:
        raw = hmac.new(self.secret, message.encode(), hashlib.sha256).digest()
        chars = [alphabet[b % len(alphabet)] for b in raw[: groups * 5]]
        return "-".join("".join(chars[i:i + 5]) for i in range(0, len(chars), 5))
