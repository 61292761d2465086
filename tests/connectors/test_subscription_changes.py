"""change_quantity, cancel and renew on both connectors: deterministic local rules, signed idempotent http calls."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.connectors import CancelRequest, ChangeQuantityRequest, ConnectorError, RenewRequest
from services.connectors.http import HttpConnector, signature_valid
from services.connectors.local import LocalConnector

SECRET = "bridge-secret"


def change(quantity=5, key="subscription-7-change-1", external_id="ext-7"):
    return ChangeQuantityRequest(idempotency_key=key, vendor="Microsoft", sku="CFQ7TTC0LH18", external_id=external_id,
                                 quantity=quantity, tenant_id="t")


def cancel(key="subscription-7-cancel", external_id="ext-7"):
    return CancelRequest(idempotency_key=key, vendor="Microsoft", sku="CFQ7TTC0LH18", external_id=external_id)


def renew(key="subscription-7-renew-2027-12-07", quantity=3):
    return RenewRequest(idempotency_key=key, vendor="Microsoft", sku="CFQ7TTC0LH18", external_id="ext-7",
                        quantity=quantity, billing_type="P1Y-monthly")


def test_local_connector_is_deterministic_and_idempotent():
    local = LocalConnector("secret")
    first = local.change_quantity(change())
    assert (first.external_id, first.quantity, first.status) == ("ext-7", 5, "active")
    assert local.change_quantity(change()) == first                          # the same key: the same answer
    assert local.change_quantity(change(key="other")).reference != first.reference
    assert LocalConnector("secret").cancel(cancel()) == local.cancel(cancel())
    assert local.cancel(cancel()).status == "cancelled" and local.cancel(cancel()).quantity == 0
    assert local.renew(renew()).quantity == 3
    assert local.renew(renew()).reference != local.renew(renew(key="subscription-7-renew-2028-12-07")).reference


@pytest.mark.parametrize(("call", "message"), [
    (lambda c: c.change_quantity(change(quantity=0)), "at least 1"),
    (lambda c: c.change_quantity(change(quantity=10_001)), "at most 10000 seats"),
    (lambda c: c.cancel(cancel(external_id="")), "does not know this subscription"),
    (lambda c: c.renew(renew(quantity=0)), "at least 1"),
])
def test_local_connector_refuses_what_a_vendor_would(app, call, message):
    with app.test_request_context(), pytest.raises(ConnectorError, match=message):
        call(LocalConnector("secret"))


class Bridge(BaseHTTPRequestHandler):
    """A vendor bridge that checks signatures and answers the first outcome again for a key it has seen."""

    received: list = []
    outcomes: dict = {}

    def do_POST(self):  # noqa: N802 (the http.server API)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not signature_valid(SECRET, self.headers.get("X-Canal-Timestamp", ""), body,
                               self.headers.get("X-Canal-Signature", "")):
            return self._answer(401, {"error": "bad signature"})
        payload = json.loads(body)
        self.received.append((payload, dict(self.headers)))
        if payload.get("quantity", 1) > 300:
            return self._answer(422, {"error": "Too many seats for this offer"})
        key = self.headers["Idempotency-Key"]
        quantity = 0 if payload["action"] == "cancel" else payload["quantity"]
        self.outcomes.setdefault(key, {"reference": f"op-{len(self.outcomes) + 1}", "quantity": quantity,
                                       "status": "cancelled" if payload["action"] == "cancel" else "active"})
        return self._answer(200, self.outcomes[key])

    def _answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def bridge():
    Bridge.received, Bridge.outcomes = [], {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Bridge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/canal"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_http_connector_sends_signed_idempotent_calls(app, bridge):
    with app.app_context():
        connector = HttpConnector(bridge, SECRET)
        first = connector.change_quantity(change())
        again = connector.change_quantity(change(quantity=9))  # a retry with the same key: the first outcome
        assert (first.reference, first.quantity, first.status) == ("op-1", 5, "active") and again == first
        cancelled = connector.cancel(cancel())
        assert (cancelled.quantity, cancelled.status, cancelled.external_id) == (0, "cancelled", "ext-7")
        assert connector.renew(renew()).reference == "op-3"
        payload, headers = Bridge.received[0]
        assert payload == {"action": "change_quantity", "idempotency_key": "subscription-7-change-1",
                           "vendor": "Microsoft", "sku": "CFQ7TTC0LH18", "external_id": "ext-7", "quantity": 5,
                           "tenant_id": "t"}
        assert headers["Idempotency-Key"] == "subscription-7-change-1"
        assert [p["action"] for p, _ in Bridge.received] == ["change_quantity", "change_quantity", "cancel", "renew"]
        with pytest.raises(ConnectorError, match="HTTP 422.*Too many seats"):
            connector.change_quantity(change(quantity=301, key="big"))
        with pytest.raises(ConnectorError, match="HTTP 401"):
            HttpConnector(bridge, "wrong-secret").cancel(cancel())
