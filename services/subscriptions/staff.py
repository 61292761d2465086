"""Staff suspend and reactivate a subscription, with a reason: audited, on the timeline, the reseller told.

The change is a conditional UPDATE (from ACTIVE, or from SUSPENDED), so two staff members clicking at once, or a
suspension racing a cancellation, change it once; the other is told it is no longer possible.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from models import Role, Subscription, SubscriptionEventKind, SubscriptionStatus, TeamRole, User, db, utcnow
from services import DomainError, audit
from services.mail import outbox
from services.mail.outbox import public_url
from services.subscriptions import timeline

MAX_REASON = 500


class SubscriptionError(DomainError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def suspend(subscription: Subscription, staff: User, reason: str) -> None:
    _change(subscription, staff, reason, SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED,
            SubscriptionEventKind.SUSPENDED, _("Only an active subscription can be suspended."))


def reactivate(subscription: Subscription, staff: User, reason: str) -> None:
    _change(subscription, staff, reason, SubscriptionStatus.SUSPENDED, SubscriptionStatus.ACTIVE,
            SubscriptionEventKind.REACTIVATED, _("Only a suspended subscription can be reactivated."))


def _change(subscription: Subscription, staff: User, reason: str, from_: SubscriptionStatus,
            to: SubscriptionStatus, kind: SubscriptionEventKind, refused: str) -> None:
    reason = " ".join((reason or "").split())
    if not reason:
        raise SubscriptionError(_("Give the reason: the reseller is told."), "reason")
    if len(reason) > MAX_REASON:
        raise SubscriptionError(_("The reason is too long (at most %(n)s characters).", n=MAX_REASON), "reason")
    changed = db.session.execute(sa.update(Subscription).where(Subscription.id == subscription.id,
                                                               Subscription.status == from_)
                                 .values(status=to).returning(Subscription.id)).first()
    if changed is None:
        raise SubscriptionError(refused)
    db.session.refresh(subscription, ["status"])
    timeline.record(subscription, kind, staff, utcnow(), reason=reason)
    audit.record(staff, f"subscription.{kind.value}", subscription, reason=reason)
    _tell_the_reseller(subscription, kind, reason)
    db.session.flush()


def _tell_the_reseller(subscription: Subscription, kind: SubscriptionEventKind, reason: str) -> None:
    admins = db.session.scalars(sa.select(User).where(
        User.reseller_id == subscription.reseller_id, User.role == Role.RESELLER,
        User.team_role == TeamRole.ADMIN, User.enabled.is_(True)).order_by(User.id))
    link = public_url("subscriptions.show", subscription_id=subscription.id)
    for user in admins:
        with outbox.in_language_of(user):
            outbox.queue_email(user.email, f"subscription_{kind.value}", related=subscription,
                               subscription=subscription, customer=subscription.customer, reason=reason,
                               link=link, name=user.name or user.email)
