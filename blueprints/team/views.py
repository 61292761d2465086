"""The Team page: a reseller's admins list, invite, re-role, disable and enable their own users.

The same service functions as the staff's reseller page (services.accounts.resellers), so every change is audited and
the reseller's last active admin is kept there. A team is a handful of people: one page, no paging."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from blueprints import render
from blueprints.actions import apply_action, invite_from
from blueprints.team import bp
from blueprints.team.forms import TEAM_ROLE_LABELS, ContactEmailForm, InviteUserForm, TeamRoleForm
from models import TeamRole, User, db
from services.accounts import accounts, resellers, team

CHANGE_LABELS = {
    "user.invite": _l("Invited"),
    "user.role_change": _l("Role changed"),
    "user.disable": _l("Disabled"),
    "user.enable": _l("Enabled"),
    "user.password_reset": _l("Set-password link sent"),
    "two_factor.reset": _l("Two-factor login reset"),
    "reseller.two_factor_required": _l("Two-factor requirement changed"),
}
MEMBERS = (User.id, User.email, User.name, User.team_role, User.enabled, User.last_login_at,
           accounts.has_usable_password_clause().label("has_password"),
           User.totp_secret.is_not(None).label("has_two_factor"))


@bp.get("/")
def index():
    return _page(InviteUserForm(team_role=TeamRole.BUYER.value))


@bp.post("/users")
def invite():
    form = InviteUserForm()
    if invite_from(form, _me().reseller):
        return redirect(url_for("team.index"), 303)
    return _page(form), 422


@bp.post("/users/<int:user_id>/role")
def change_role(user_id: int):
    user = member_or_404(user_id)
    form = TeamRoleForm()
    if not form.validate_on_submit():
        flash(_("Choose a role."), "error")
        return redirect(url_for("team.index"), 303)
    role = TeamRole(form.team_role.data)
    message = _("%(email)s is now %(role)s.", email=user.email, role=TEAM_ROLE_LABELS[role.value])
    apply_action(lambda target, by: resellers.change_team_role(target, role, by=by), user, message)
    # An admin who made themselves buyer or viewer has no Team page any more.
    return redirect(url_for("team.index") if current_user.is_team_admin else url_for("main.home"), 303)


@bp.post("/users/<int:user_id>/disable")
def disable(user_id: int):
    user = member_or_404(user_id)
    apply_action(resellers.disable_user, user, _("%(email)s is disabled and logged out.", email=user.email))
    return redirect(url_for("team.index"), 303)


@bp.post("/users/<int:user_id>/enable")
def enable(user_id: int):
    user = member_or_404(user_id)
    apply_action(resellers.enable_user, user, _("%(email)s is enabled.", email=user.email))
    return redirect(url_for("team.index"), 303)


@bp.post("/users/<int:user_id>/resend")
def resend(user_id: int):
    user = member_or_404(user_id)
    apply_action(resellers.send_password_reset, user, _("A set-password link was sent to %(email)s.", email=user.email))
    return redirect(url_for("team.index"), 303)


@bp.post("/contact-email")
def contact_email():
    form = ContactEmailForm()
    if form.validate_on_submit():
        me = _me()
        try:
            changed = resellers.update_reseller(me.reseller, by=me, contact_email=form.contact_email.data or "")
        except resellers.ResellerError as exc:
            db.session.rollback()
            form.contact_email.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_replies_go_to(me.reseller.contact_email) if changed else _("Nothing changed."), "success")
            return redirect(url_for("team.index"), 303)
    return _page(InviteUserForm(team_role=TeamRole.BUYER.value), contact_form=form), 422


def _replies_go_to(address: str) -> str:
    if address:
        return _("Your customers' replies now go to %(email)s.", email=address)
    return _("Your customers' replies now go to whoever assigned them the licenses.")


def _page(invite_form: InviteUserForm, contact_form: ContactEmailForm | None = None) -> str:
    me = _me()
    members = db.session.execute(sa.select(*MEMBERS).where(User.reseller_id == me.reseller_id)
                                 .order_by(User.email)).all()
    contact_form = contact_form or ContactEmailForm(contact_email=me.reseller.contact_email)
    return render("team/index.html", block="content", members=members, me=me, reseller=me.reseller,
                  invite_form=invite_form, role_labels=TEAM_ROLE_LABELS, changes=team.recent_changes(me.reseller_id),
                  change_labels=CHANGE_LABELS, contact_form=contact_form)



def _me() -> User:
    return current_user._get_current_object()


def member_or_404(user_id: int) -> User:
    """A user of the admin's own reseller; anyone else's answers 404."""
    user = db.session.get(User, user_id)
    if user is None or user.reseller_id != current_user.reseller_id:
        abort(404)
    return user
