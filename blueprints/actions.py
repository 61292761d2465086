"""Button actions (disable, enable, suspend, change a role...): one CSRF-checked way to run them and say how it went."""
from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.auth.forms import EmptyForm
from models import TeamRole, db
from services import DomainError
from services.accounts import accounts, resellers


def apply_action(operation: Callable, target, success: str) -> bool:
    """Run `operation(target, by=<the logged-in user>)`, commit and flash `success`; a DomainError is rolled back
    and flashed as the error. A button posted without a valid CSRF token is a 400."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        operation(target, by=current_user._get_current_object())
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return False
    db.session.commit()
    flash(success, "success")
    return True


def invite_from(form, reseller) -> bool:
    """Invite the user the InviteUserForm describes to `reseller` (staff and a reseller's admin alike): commit and
    flash on success; otherwise the form carries the errors, next to the address or above the form."""
    if not form.validate_on_submit():
        return False
    try:
        user = resellers.invite_user(reseller, by=current_user._get_current_object(), email=form.email.data,
                                     name=form.name.data or "", team_role=TeamRole(form.team_role.data))
    except accounts.AccountError as exc:
        form.email.errors.append(str(exc))
        return False
    except DomainError as exc:
        form.form_errors.append(str(exc))
        return False
    db.session.commit()
    flash(_("Invitation sent to %(email)s.", email=user.email), "success")
    return True
