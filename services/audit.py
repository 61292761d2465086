"""The audit log: one row per decision or sensitive action."""
from __future__ import annotations

from typing import Any

from flask import has_request_context, request

from models import AuditEvent, User, db


def record(actor: User | None, action: str, obj: Any = None, **details: Any) -> AuditEvent:
    """Write an audit event about `obj` (any model with an id) in the current transaction."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.id) if obj is not None else "",
        details=details,
        ip=(request.remote_addr or "") if has_request_context() else "",
    )
    db.session.add(event)
    return event
