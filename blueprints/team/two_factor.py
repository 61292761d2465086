"""A reseller's admin and two-factor login (services/accounts/two_factor.py): require it of the whole team, and reset a
teammate's after a lost phone. The same service functions as the staff's (admin/two_factor.py); both audited."""
from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.actions import apply_action
from blueprints.auth.forms import EmptyForm
from blueprints.team import bp
from blueprints.team.views import member_or_404
from models import db
from services.accounts import two_factor


@bp.post("/two-factor/require")
def require_two_factor():
    return _set_required(True)


@bp.post("/two-factor/stop-requiring")
def stop_requiring_two_factor():
    return _set_required(False)


@bp.post("/users/<int:user_id>/reset-two-factor")
def reset_two_factor(user_id: int):
    _check_form()
    user = member_or_404(user_id)
    if user.id == current_user.id:  # one's own second factor is changed with a code, on one's own page
        flash(_("Change your own two-factor login on your two-factor page."), "error")
        return redirect(url_for("team.index"), 303)
    apply_action(lambda target, by: two_factor.reset_two_factor(target, actor=by), user,
                 _("Two-factor login of %(email)s is reset; they set it up again at their next login.",
                   email=user.email))
    return redirect(url_for("team.index"), 303)


def _set_required(required: bool):
    _check_form()
    me = current_user._get_current_object()
    if two_factor.set_two_factor_required(me.reseller, required, me):
        db.session.commit()
        flash(_("Users of %(name)s must now log in with two-factor login.", name=me.reseller.name) if required
              else _("Users of %(name)s may now log in without two-factor login.", name=me.reseller.name), "success")
    return redirect(url_for("team.index"), 303)


def _check_form() -> None:
    if not EmptyForm().validate_on_submit():
        abort(400)
