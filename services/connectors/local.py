"""The built-in connector: deterministic vendor rules and key generation, no network."""
from __future__ import annotations

import hashlib
import hmac
import re

from flask_babel import gettext as _

from services.connectors import (
    CancelRequest,
    ChangeQuantityRequest,
    ChangeResult,
    ConnectorError,
    ProvisionRequest,
    ProvisionResult,
    RenewRequest,
)

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MICROSOFT_KEY_ALPHABET = "BCDFGHJKMPQRTVWXY2346789"  # Microsoft product keys avoid look-alike characters
GENERIC_KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_SEATS = 10_000  # the stand-in vendor's own limit per subscription (Canal's product maximum is usually lower)


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

    def change_quantity(self, request: ChangeQuantityRequest) -> ChangeResult:
        """Deterministic vendor rules: a known subscription, 1 to MAX_SEATS seats; the same key, the same answer."""
        self._known(request.external_id)
        self._seats(request.quantity)
        return ChangeResult(request.external_id, request.quantity, "active",
                            self._reference("change_quantity", request.idempotency_key))

    def cancel(self, request: CancelRequest) -> ChangeResult:
        self._known(request.external_id)
        return ChangeResult(request.external_id, 0, "cancelled", self._reference("cancel", request.idempotency_key))

    def renew(self, request: RenewRequest) -> ChangeResult:
        self._known(request.external_id)
        self._seats(request.quantity)
        return ChangeResult(request.external_id, request.quantity, "active",
                            self._reference("renew", request.idempotency_key))

    def _known(self, external_id: str) -> None:
        if not external_id:
            raise ConnectorError(_("The vendor does not know this subscription (it has no vendor id)."))

    def _seats(self, quantity: int) -> None:
        if quantity < 1:
            raise ConnectorError(_("The quantity must be at least 1."))
        if quantity > MAX_SEATS:
            raise ConnectorError(_("The vendor allows at most %(max)s seats per subscription.", max=MAX_SEATS))

    def _reference(self, action: str, idempotency_key: str) -> str:
        return f"{action}-{self._digest(f'{action}:{idempotency_key}')[:16]}"

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
