"""Staff logging in as a reseller user for support: who may, and the audit trail of it."""
from __future__ import annotations

from flask_babel import gettext as _

from models import User
from services import DomainError, audit


class ImpersonationError(DomainError):
    pass


def start(staff: User, target: User) -> None:
    """Check that `staff` may act as `target` (an enabled reseller user) and audit the start."""
    if not staff.is_staff:
        raise ImpersonationError(_("Only staff can log in as another user."))
    if not target.is_reseller:
        raise ImpersonationError(_("Staff and ops accounts cannot be impersonated."))
    if not target.enabled:
        raise ImpersonationError(_("%(email)s is disabled.", email=target.email))
    audit.record(staff, "impersonation.start", target, reseller_id=target.reseller_id, email=target.email)


def stop(staff: User, target: User, **details) -> None:
    """Audit the end of an impersonation, under the staff member's name."""
    audit.record(staff, "impersonation.stop", target, reseller_id=target.reseller_id, email=target.email, **details)


def log_out(staff: User, target: User) -> None:
    """Logging out while impersonating ends both logins the cookie carries, on every copy of it: the staff
    member's sessions end (as at their own logout), and with them the impersonation, which needs a valid
    staff login on every request. The reseller user's own sessions elsewhere are not theirs to end."""
    stop(staff, target, ended_by="logout")
    staff.end_sessions()
