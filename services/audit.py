"""The audit log: one row per decision or sensitive action.

While staff are logged in as a reseller user (services/impersonation.py), the request is marked with
act_for(staff, user): events whose actor is that user are recorded as the staff member's, with the user
beside them (`on_behalf_of`), so the log says who really did it.
"""
from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request

from models import AuditEvent, User, db


def act_for(staff: User, user: User) -> None:
    """For the rest of this request, what `user` does is recorded as done by `staff` on `user`'s behalf."""
    g.audit_acting_for = (staff.id, user.id)


def record(actor: User | None, action: str, obj: Any = None, **details: Any) -> AuditEvent:
    """Write an audit event about `obj` (any model with an id) in the current transaction."""
    actor_id = actor.id if actor is not None and actor.is_authenticated else None
    on_behalf_of_id = None
    acting = g.get("audit_acting_for") if has_request_context() else None
    if acting is not None and actor_id is not None and actor_id == acting[1]:
        actor_id, on_behalf_of_id = acting
    event = AuditEvent(
        actor_id=actor_id,
        on_behalf_of_id=on_behalf_of_id,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(obj.id) if obj is not None else "",
        details=details,
        ip=(request.remote_addr or "") if has_request_context() else "",
    )
    db.session.add(event)
    return event
