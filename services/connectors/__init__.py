"""The vendor connector interface: the only boundary where a stand-in is allowed in tests.

`validate` says what the vendor would refuse, `provision` creates a subscription (idempotent on
its key), `issue_keys` returns license keys for an approved order (idempotent on its key).
After provisioning, `change_quantity` sets a subscription's seats, `cancel` ends it and `renew` starts its
next term; each takes a request with an idempotency key (the same key never acts twice: the vendor answers
the first outcome again) and returns a ChangeResult.
The `local` connector applies deterministic vendor rules; `http` calls a configured URL.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from flask import current_app
from flask_babel import gettext as _

from services import DomainError


class ConnectorError(DomainError):
    """The vendor refused or could not be reached; the message says why."""


@dataclass(frozen=True)
class ProvisionRequest:
    idempotency_key: str          # e.g. "import-42": the same key never provisions twice
    vendor: str                   # vendor name, e.g. "Microsoft"
    sku: str
    quantity: int
    billing_type: str
    customer_name: str
    customer_domain: str = ""
    tenant_id: str = ""
    fields: dict = field(default_factory=dict)  # vendor-specific extras (partner id, ...)


@dataclass(frozen=True)
class ProvisionResult:
    external_id: str              # the vendor's id for the subscription


@dataclass(frozen=True)
class ChangeQuantityRequest:
    idempotency_key: str          # e.g. "subscription-7-change-3": one change, however often it is sent
    vendor: str
    sku: str
    external_id: str              # the vendor's id of the subscription (ProvisionResult.external_id)
    quantity: int                 # the new total of seats
    tenant_id: str = ""


@dataclass(frozen=True)
class CancelRequest:
    idempotency_key: str
    vendor: str
    sku: str
    external_id: str
    tenant_id: str = ""


@dataclass(frozen=True)
class RenewRequest:
    idempotency_key: str          # e.g. "subscription-7-renew-2027-12-07": one renewal per term
    vendor: str
    sku: str
    external_id: str
    quantity: int                 # seats of the new term
    billing_type: str             # of the new term
    tenant_id: str = ""


@dataclass(frozen=True)
class ChangeResult:
    external_id: str              # the vendor's id of the subscription (unchanged by these actions)
    quantity: int                 # its seats after the change (0 once cancelled)
    status: str                   # "active" or "cancelled"
    reference: str                # the vendor's id of this operation: the same for the same idempotency key


class Connector(Protocol):
    def validate(self, request: ProvisionRequest) -> list[str]: ...

    def provision(self, request: ProvisionRequest) -> ProvisionResult: ...

    def issue_keys(self, vendor: str, sku: str, count: int, idempotency_key: str) -> list[str]: ...

    def change_quantity(self, request: ChangeQuantityRequest) -> ChangeResult: ...

    def cancel(self, request: CancelRequest) -> ChangeResult: ...

    def renew(self, request: RenewRequest) -> ChangeResult: ...


def get_connector() -> Connector:
    name = current_app.config.get("CONNECTOR", "local")
    if name == "local":
        from services.connectors.local import LocalConnector

        return LocalConnector(current_app.config["SECRET_KEY"])
    if name == "http":
        from services.connectors.http import HttpConnector

        return HttpConnector(current_app.config["CONNECTOR_URL"], current_app.config["CONNECTOR_SECRET"])
    raise ConnectorError(_("Unknown connector “%(name)s”.", name=name))
