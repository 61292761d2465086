"""The http connector: POST signed JSON to CONNECTOR_URL and read the vendor bridge's JSON answer.

Every request is `{"action": "validate"|"provision"|"issue_keys"|"change_quantity"|"cancel"|"renew", ...}` with
the headers `X-Canal-Timestamp` (unix seconds), `X-Canal-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<body>" keyed with CONNECTOR_SECRET>` and, for every action but validate, `Idempotency-Key`. The
bridge answers `{"reasons": [...]}`, `{"external_id": "..."}`, `{"keys": [...]}` or, for change_quantity, cancel
and renew, `{"reference": "...", "quantity": n, "status": "active"|"cancelled"}` (the same answer again for a
key it has seen); an error status may carry `{"error": "..."}`.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import asdict
from typing import Any

from flask import current_app, has_app_context
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
from services.numbers import parse_int

MAX_RESPONSE_BYTES = 1_000_000


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value; the bridge recomputes it and compares in constant time."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, timestamp: str, body: bytes, signature: str, max_age: int = 300) -> bool:
    """For the receiving side (and the tests): right key, right body, and not a replay of an old request."""
    sent_at = parse_int(timestamp, maximum=None)
    if sent_at is None or abs(time.time() - sent_at) > max_age:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class HttpConnector:
    def __init__(self, url: str, secret: str, timeout: float | None = None):
        if not url.startswith(("http://", "https://")) or not secret:
            raise ConnectorError(_("The http connector needs CONNECTOR_URL (http or https) and CONNECTOR_SECRET."))
        if timeout is None:
            timeout = current_app.config.get("CONNECTOR_TIMEOUT", 10) if has_app_context() else 10
        self.url, self.secret, self.timeout = url, secret, timeout

    def validate(self, request: ProvisionRequest) -> list[str]:
        answer = self._post("validate", asdict(request))
        reasons = answer.get("reasons", [])
        if not isinstance(reasons, list):
            raise ConnectorError(_("The vendor bridge answered validate without a list of reasons."))
        return [str(r) for r in reasons]

    def provision(self, request: ProvisionRequest) -> ProvisionResult:
        answer = self._post("provision", asdict(request), idempotency_key=request.idempotency_key)
        if not answer.get("external_id"):
            raise ConnectorError(_("The vendor bridge answered provision without an external_id."))
        return ProvisionResult(external_id=str(answer["external_id"])[:64])

    def issue_keys(self, vendor: str, sku: str, count: int, idempotency_key: str) -> list[str]:
        answer = self._post("issue_keys", {"vendor": vendor, "sku": sku, "count": count,
                                           "idempotency_key": idempotency_key}, idempotency_key=idempotency_key)
        keys = answer.get("keys")
        if not isinstance(keys, list) or len(keys) != count:
            raise ConnectorError(_("The vendor bridge returned %(got)s keys instead of %(want)s.", got=len(keys or []),
                                   want=count))
        return [str(k) for k in keys]

    def change_quantity(self, request: ChangeQuantityRequest) -> ChangeResult:
        return self._change("change_quantity", request, request.quantity)

    def cancel(self, request: CancelRequest) -> ChangeResult:
        return self._change("cancel", request, 0)

    def renew(self, request: RenewRequest) -> ChangeResult:
        return self._change("renew", request, request.quantity)

    def _change(self, action: str, request: ChangeQuantityRequest | CancelRequest | RenewRequest,
                quantity: int) -> ChangeResult:
        answer = self._post(action, asdict(request), idempotency_key=request.idempotency_key)
        if not answer.get("reference"):
            raise ConnectorError(_("The vendor bridge answered %(action)s without a reference.", action=action))
        answered = parse_int(answer.get("quantity", quantity), minimum=0)
        status = str(answer.get("status") or ("cancelled" if action == "cancel" else "active"))
        if answered is None or status not in ("active", "cancelled"):
            raise ConnectorError(_("The vendor bridge answered %(action)s with an unknown quantity or status.",
                                   action=action))
        return ChangeResult(request.external_id, answered, status, str(answer["reference"])[:64])

    def _post(self, action: str, payload: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        body = json.dumps({"action": action, **payload}, sort_keys=True, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "X-Canal-Timestamp": timestamp, "X-Canal-Signature": sign(self.secret, timestamp, body)}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return _json(response.read(MAX_RESPONSE_BYTES))
        except urllib.error.HTTPError as exc:
            detail = _error_detail(exc)
            raise ConnectorError(_("The vendor refused the request (HTTP %(code)s)%(detail)s.", code=exc.code,
                                   detail=detail)) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ConnectorError(_("The vendor could not be reached (%(reason)s).", reason=reason)) from None


def _json(raw: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        raise ConnectorError(_("The vendor bridge answered with something that is not JSON.")) from None
    if not isinstance(answer, dict):
        raise ConnectorError(_("The vendor bridge answered with JSON that is not an object."))
    return answer


def _error_detail(exc: urllib.error.HTTPError) -> str:
    try:
        error = json.loads(exc.read(MAX_RESPONSE_BYTES) or b"{}").get("error")
    except (ValueError, AttributeError, OSError):
        error = None
    return f": {str(error)[:300]}" if error else ""
