"""Staff and two-factor login: require it for a reseller's users, reset a user's after a lost phone."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.actions import apply_action
from blueprints.admin import bp
from blueprints.admin.resellers import reseller_user_or_404
from blueprints.auth.forms import EmptyForm
from models import Reseller, db
from services.accounts import two_factor


@bp.post("/resellers/<int:reseller_id>/two-factor/require")
def resellers_require_two_factor(reseller_id: int):
    return _set_required(db.get_or_404(Reseller, reseller_id), True)


@bp.post("/resellers/<int:reseller_id>/two-factor/stop-requiring")
def resellers_stop_requiring_two_factor(reseller_id: int):
    return _set_required(db.get_or_404(Reseller, reseller_id), False)


@bp.post("/resellers/<int:reseller_id>/users/<int:user_id>/reset-two-factor")
def users_reset_two_factor(reseller_id: int, user_id: int):
    _check_form()
    user = reseller_user_or_404(reseller_id, user_id)
    apply_action(lambda target, by: two_factor.reset_two_factor(target, actor=by), user,
                 _("Two-factor login of %(email)s is reset; they set it up again at their next login.",
                   email=user.email))
    return redirect(url_for("admin.resellers_show", reseller_id=reseller_id), 303)


def _set_required(reseller: Reseller, required: bool):
    _check_form()
    if two_factor.set_two_factor_required(reseller, required, current_user._get_current_object()):
        db.session.commit()
        flash(_("Users of %(name)s must now log in with two-factor login.", name=reseller.name) if required
              else _("Users of %(name)s may now log in without two-factor login.", name=reseller.name), "success")
    return redirect(url_for("admin.resellers_show", reseller_id=reseller.id), 303)


def _check_form() -> None:
    if not EmptyForm().validate_on_submit():
        abort(400)
