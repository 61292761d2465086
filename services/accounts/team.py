"""What changed in a reseller's team, newest first, for its admins (the Team page): the audit events of the
changes made through services.accounts.resellers and services.accounts.two_factor, by the reseller's admins
or by staff."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from models import AuditEvent, User, db

TEAM_ACTIONS = ("user.invite", "user.role_change", "user.disable", "user.enable", "user.password_reset",
                "two_factor.reset")
RESELLER_ACTIONS = ("reseller.two_factor_required",)


def recent_changes(reseller_id: int, limit: int = 15) -> list[sa.Row]:
    """Rows of (at, action, details, actor_email, user_email); user_email is None for a change to the reseller."""
    actor, member = aliased(User), aliased(User)
    members = sa.select(sa.cast(User.id, sa.String)).where(User.reseller_id == reseller_id).scalar_subquery()
    stmt = (sa.select(AuditEvent.at, AuditEvent.action, AuditEvent.details, actor.email.label("actor_email"),
                      member.email.label("user_email"))
            .outerjoin(actor, actor.id == AuditEvent.actor_id)
            .outerjoin(member, sa.and_(AuditEvent.object_type == "User",
                                       AuditEvent.object_id == sa.cast(member.id, sa.String)))
            .where(sa.or_(sa.and_(AuditEvent.object_type == "User", AuditEvent.object_id.in_(members),
                                  AuditEvent.action.in_(TEAM_ACTIONS)),
                          sa.and_(AuditEvent.object_type == "Reseller", AuditEvent.object_id == str(reseller_id),
                                  AuditEvent.action.in_(RESELLER_ACTIONS))))
            .order_by(AuditEvent.id.desc()).limit(limit))
    return db.session.execute(stmt).all()
