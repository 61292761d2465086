"""The http connector against a real HTTP server started here: signed JSON out, the vendor's answer in."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jobs.provisioning import run_due_imports
from models import Import, ImportStatus, db
from services.connectors import ConnectorError, ProvisionRequest, get_connector
from services.connectors.http import HttpConnector, sign, signature_valid
from tests.provisioning import TENANT, cloud_setup, due_now, subscriptions_of
from tests.support import free_port

SECRET = "bridge-secret"


class VendorBridge(BaseHTTPRequestHandler):
    """A vendor bridge: checks the signature, remembers each idempotency key, answers like a vendor."""

    received: list = []
    provisioned: dict = {}

    def do_POST(self):  # noqa: N802 (the http.server API)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if not signature_valid(SECRET, self.headers.get("X-Canal-Timestamp", ""), body,
                               self.headers.get("X-Canal-Signature", "")):
            return self._answer(401, {"error": "bad signature"})
        payload = json.loads(body)
        self.received.append((payload, dict(self.headers)))
        if payload["action"] == "validate":
            reasons = [] if payload["tenant_id"] == TENANT else ["Tenant unknown to the vendor."]
            return self._answer(200, {"reasons": reasons})
        if payload["action"] == "provision":
            key = self.headers["Idempotency-Key"]
            self.provisioned.setdefault(key, f"sub-{len(self.provisioned) + 1}")
            return self._answer(200, {"external_id": self.provisioned[key]})
        if payload["action"] == "issue_keys":
            return self._answer(200, {"keys": [f"KEY-{i}" for i in range(payload["count"])]})
        return self._answer(400, {"error": "unknown action"})

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
    VendorBridge.received, VendorBridge.provisioned = [], {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), VendorBridge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/canal"
    server.shutdown()
    server.server_close()
    thread.join(5)


def request(tenant=TENANT, key="import-1-item-1"):
    return ProvisionRequest(idempotency_key=key, vendor="Microsoft", sku="CFQ7TTC0LDPB", quantity=2,
                            billing_type="P1Y-monthly", customer_name="Acme", tenant_id=tenant)


def test_validate_provision_and_keys_are_signed_and_understood(bridge):
    connector = HttpConnector(bridge, SECRET)
    assert connector.validate(request()) == []
    assert connector.validate(request(tenant="other")) == ["Tenant unknown to the vendor."]
    first = connector.provision(request())
    assert connector.provision(request()).external_id == first.external_id  # same key, same subscription
    assert connector.provision(request(key="import-2-item-2")).external_id != first.external_id
    assert connector.issue_keys("Microsoft", "SKU", 3, "order-1") == ["KEY-0", "KEY-1", "KEY-2"]
    payload, headers = VendorBridge.received[2]
    assert payload["action"] == "provision" and payload["quantity"] == 2
    assert headers["Idempotency-Key"] == "import-1-item-1"
    assert headers["X-Canal-Signature"].startswith("sha256=")


def test_a_wrong_secret_is_refused_by_the_bridge_with_a_clear_error(bridge):
    with pytest.raises(ConnectorError, match=r"HTTP 401\): bad signature"):
        HttpConnector(bridge, "not-the-secret").validate(request())


def test_an_unreachable_bridge_is_a_connector_error():
    with pytest.raises(ConnectorError, match="could not be reached"):
        HttpConnector(f"http://127.0.0.1:{free_port()}/", SECRET, timeout=2).provision(request())


def test_it_needs_a_url_and_a_secret():
    with pytest.raises(ConnectorError):
        HttpConnector("", SECRET)
    with pytest.raises(ConnectorError):
        HttpConnector("ftp://example.com", SECRET)


def test_a_scheduled_import_provisions_through_the_bridge(app, bridge):
    app.config.update(CONNECTOR="http", CONNECTOR_URL=bridge, CONNECTOR_SECRET=SECRET)
    assert isinstance(get_connector(), HttpConnector)
    user, customer, product = cloud_setup()
    good = due_now(user, customer, product)
    unknown = due_now(user, customer, product, tenant_id="11111111-2222-3333-4444-555555555555")
    assert run_due_imports() == 2
    db.session.expire_all()
    [subscription] = subscriptions_of(good.id)
    item = db.session.get(Import, good.id).items[0]
    assert subscription.external_id == VendorBridge.provisioned[f"import-{good.id}-item-{item.id}"]
    failed = db.session.get(Import, unknown.id)
    assert failed.status is ImportStatus.FAILED and failed.items[0].reasons == ["Tenant unknown to the vendor."]


def test_a_bridge_that_is_down_at_run_time_fails_the_import_with_the_reason(app):
    app.config.update(CONNECTOR="http", CONNECTOR_URL=f"http://127.0.0.1:{free_port()}/", CONNECTOR_SECRET=SECRET,
                      CONNECTOR_TIMEOUT=2)
    user, customer, product = cloud_setup()
    imp = due_now(user, customer, product)
    run_due_imports()
    db.session.expire_all()
    imp = db.session.get(Import, imp.id)
    assert imp.status is ImportStatus.FAILED and "could not be reached" in imp.items[0].reasons[0]


@pytest.mark.parametrize("timestamp", ["²", "٣", "9" * 5000, "-1", ""])
def test_a_timestamp_that_is_no_ascii_number_is_an_invalid_signature_not_an_error(timestamp):
    assert signature_valid(SECRET, timestamp, b"{}", sign(SECRET, timestamp, b"{}")) is False
