"""Resellers and their users, as the distributor's staff and each reseller's own admins manage them.

Every change is audited. The same functions serve both sides (admin/resellers.py and team/), so there is one way
to invite, disable or change a role, and one place that keeps every reseller with an active admin."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from models import OutboxEmail, Reseller, ResellerStatus, Role, TeamRole, User, db
from services import DomainError, audit, search
from services.accounts import accounts
from services.mail import outbox
from services.mail.addresses import AddressError, clean_address
from services.paging import Page, Sort, page_of, sorted_by

EDITABLE_FIELDS = ("name", "tax_id", "country", "currency", "contact_email")


class ResellerError(DomainError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field  # the form field the message belongs next to, if any


class LastAdminError(ResellerError):
    """The change would leave a reseller without an active admin to manage its team."""


def search_resellers(query: str = "") -> sa.Select:
    """Resellers whose legal name or tax id contains `query`, by name."""
    stmt = sa.select(Reseller).order_by(sa.func.lower(Reseller.name), Reseller.id)
    query = query.strip()
    if query:
        stmt = stmt.where(search.contains(query, Reseller.name, Reseller.tax_id))
    return stmt


# The columns the admin list sorts by (?sort=country, ?sort=-country), by name unless asked.
SORTS = {"name": sa.func.lower(Reseller.name), "tax_id": Reseller.tax_id, "country": Reseller.country,
         "currency": Reseller.currency, "status": Reseller.status}
BY_NAME = Sort("name")


def resellers_page(query: str = "", page: int = 1, per_page: int = 25, sort: Sort = BY_NAME) -> Page:
    """A page of search_resellers(query) for the admin list in `sort` order, as Reseller objects."""
    matching = search_resellers(query).order_by(None)
    count = sa.select(sa.func.count()).select_from(matching.subquery())
    return page_of(sorted_by(matching, sort, SORTS, Reseller.id), page, per_page, count=count)


def user_counts(reseller_ids: list[int]) -> dict[int, int]:
    """How many users each of these resellers has."""
    if not reseller_ids:
        return {}
    counts = (sa.select(User.reseller_id, sa.func.count()).where(User.reseller_id.in_(reseller_ids))
              .group_by(User.reseller_id))
    return dict(db.session.execute(counts).all())


def create_reseller(*, by: User, name: str, tax_id: str, country: str, currency: str,
                    contact_email: str = "") -> Reseller:
    """Create an ACTIVE reseller; a tax id is unique within its country."""
    fields = _clean(name=name, tax_id=tax_id, country=country, currency=currency, contact_email=contact_email)
    _check_tax_id_free(fields["tax_id"], fields["country"])
    reseller = Reseller(**fields, status=ResellerStatus.ACTIVE)
    db.session.add(reseller)
    db.session.flush()
    audit.record(by, "reseller.create", reseller, **fields)
    return reseller


def update_reseller(reseller: Reseller, *, by: User, **values: str) -> dict[str, list[str]]:
    """Change the legal name, tax id, country, currency or contact e-mail (those given); returns (and audits) what
    changed."""
    fields = _clean(**{key: values.get(key, getattr(reseller, key)) for key in EDITABLE_FIELDS})
    _check_tax_id_free(fields["tax_id"], fields["country"], exclude=reseller)
    changes = {key: [getattr(reseller, key), value] for key, value in fields.items()
               if getattr(reseller, key) != value}
    for key, (_old, new) in changes.items():
        setattr(reseller, key, new)
    if changes:
        db.session.flush()
        audit.record(by, "reseller.update", reseller, changes=changes)
    return changes


def suspend_reseller(reseller: Reseller, *, by: User) -> None:
    """Suspend an active reseller (its scheduled work then fails validation)."""
    if reseller.status is ResellerStatus.SUSPENDED:
        raise ResellerError(_("%(name)s is already suspended.", name=reseller.name))
    reseller.status = ResellerStatus.SUSPENDED
    audit.record(by, "reseller.suspend", reseller)


def reactivate_reseller(reseller: Reseller, *, by: User) -> None:
    if reseller.status is ResellerStatus.ACTIVE:
        raise ResellerError(_("%(name)s is already active.", name=reseller.name))
    reseller.status = ResellerStatus.ACTIVE
    audit.record(by, "reseller.reactivate", reseller)


def invite_user(reseller: Reseller, *, by: User, email: str, name: str = "",
                team_role: TeamRole = TeamRole.ADMIN) -> User:
    """Create a user who cannot log in until they set a password through the e-mailed link."""
    if not reseller.is_active:
        raise ResellerError(_("A suspended reseller cannot get new users."))
    email = accounts.normalise_email(email)
    if accounts.find_user(email) is not None:
        raise accounts.AccountError(_("A user with the e-mail %(email)s already exists.", email=email))
    user = User(email=email, name=name.strip(), password_hash=accounts.unusable_password(),
                role=Role.RESELLER, team_role=TeamRole(team_role), reseller=reseller)
    db.session.add(user)
    db.session.flush()
    _send_password_link(user, by=by)
    audit.record(by, "user.invite", user, reseller_id=reseller.id, email=email, team_role=user.team_role.value)
    return user


def disable_user(user: User, *, by: User) -> None:
    """Disable a user; their sessions and set-password links stop working at once."""
    if not user.enabled:
        raise ResellerError(_("%(email)s is already disabled.", email=user.email))
    _keep_an_active_admin(user)
    user.enabled = False
    user.end_sessions()
    audit.record(by, "user.disable", user)


def enable_user(user: User, *, by: User) -> None:
    if user.enabled:
        raise ResellerError(_("%(email)s is already enabled.", email=user.email))
    user.enabled = True
    audit.record(by, "user.enable", user)


def change_team_role(user: User, team_role: TeamRole, *, by: User) -> None:
    """Make a reseller's user admin, buyer or viewer; the reseller's last active admin stays one."""
    team_role = TeamRole(team_role)
    if not user.is_reseller:
        raise ResellerError(_("Only a reseller's users have a team role."))
    if user.team_role is team_role:
        raise ResellerError(_("%(email)s already has this role.", email=user.email))
    if team_role is not TeamRole.ADMIN:
        _keep_an_active_admin(user)
    old, user.team_role = user.team_role, team_role
    audit.record(by, "user.role_change", user, reseller_id=user.reseller_id, changes={"team_role": [old.value,
                                                                                                  team_role.value]})


def is_active_admin(user: User) -> bool:
    """An admin who can log in: enabled, with a password of their own (an invited admin is not yet)."""
    return user.is_team_admin and user.enabled and accounts.has_usable_password(user)


def _keep_an_active_admin(user: User) -> None:
    """Refuse to take `user` away as an active admin if no other active admin of the reseller is left.

    Two admins demoting or disabling each other at the same moment are taken one after the other, and the
    second one sees that the first one is gone: the reseller's row is written (a no-op UPDATE) before counting.
    That locks the row on PostgreSQL, whose next statement then reads what the first one committed, and it
    takes SQLite's one write lock (its driver begins a transaction only at the first write, so a SELECT ... FOR
    UPDATE would lock nothing there). Staff are held to this too."""
    if not is_active_admin(user):
        return
    db.session.execute(sa.update(Reseller).where(Reseller.id == user.reseller_id).values(id=Reseller.id))
    others = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
        User.reseller_id == user.reseller_id, User.id != user.id, User.role == Role.RESELLER,
        User.team_role == TeamRole.ADMIN, User.enabled.is_(True),
        accounts.has_usable_password_clause()))
    if not others:
        raise LastAdminError(_("%(email)s is the last active admin of %(name)s. Make another user admin first.",
                               email=user.email, name=user.reseller.name))


def send_password_reset(user: User, *, by: User) -> OutboxEmail:
    """E-mail a new set-password link (the invitation again if the user never set a password)."""
    if not user.enabled:
        raise ResellerError(_("Enable %(email)s before sending a new password link.", email=user.email))
    email = _send_password_link(user, by=by)
    audit.record(by, "user.password_reset", user)
    return email


def _send_password_link(user: User, *, by: User) -> OutboxEmail:
    template = "password_reset" if accounts.has_usable_password(user) else "invite"
    max_age = current_app.config.get("PASSWORD_LINK_MAX_AGE", accounts.PASSWORD_LINK_MAX_AGE)
    with outbox.in_language_of(user):
        return outbox.queue_email(user.email, template, related=user, link=accounts.password_link(user),
                                  user=user, reseller=user.reseller, sender=by, hours=max_age // 3600)


def _clean(**fields: str) -> dict[str, str]:
    cleaned = {key: " ".join((value or "").split()) for key, value in fields.items()}
    cleaned["country"] = cleaned["country"].upper()
    cleaned["currency"] = cleaned["currency"].upper()
    for key in ("name", "tax_id"):
        if not cleaned[key]:
            raise ResellerError(_("This field is required."), field=key)
    if cleaned.get("contact_email"):
        try:
            cleaned["contact_email"] = clean_address(cleaned["contact_email"])
        except AddressError as exc:
            raise ResellerError(str(exc), field="contact_email") from exc
    return cleaned


def _check_tax_id_free(tax_id: str, country: str, exclude: Reseller | None = None) -> None:
    stmt = sa.select(Reseller.name).where(Reseller.tax_id == tax_id, Reseller.country == country)
    if exclude is not None:
        stmt = stmt.where(Reseller.id != exclude.id)
    other = db.session.scalar(stmt.limit(1))
    if other is not None:
        raise ResellerError(_("%(other)s already has the tax id %(tax_id)s in %(country)s.",
                              other=other, tax_id=tax_id, country=country), field="tax_id")
