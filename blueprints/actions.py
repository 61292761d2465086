"""Button actions (disable, enable, suspend, change a role...): one CSRF-checked way to run them and say how it went."""
from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash
from flask_login import current_user

from blueprints.auth.forms import EmptyForm
from models import db
from services import DomainError


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
