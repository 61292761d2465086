"""Staff manage resellers and their users: create, edit, suspend, invite, change role, disable, reset password."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints import render
from blueprints.actions import apply_action, invite_from
from blueprints.admin import bp
from blueprints.admin.forms import InviteUserForm, ResellerForm
from blueprints.team.forms import TEAM_ROLE_LABELS, TeamRoleForm
from models import Reseller, TeamRole, User, db
from services.accounts import accounts, resellers
from services.accounts.resellers import EDITABLE_FIELDS
from services.numbers import page_number
from services.paging import parse_sort

PER_PAGE = 25


@bp.get("/resellers/")
def resellers_index():
    query = request.args.get("q", "")[:100]
    sort = parse_sort(request.args.get("sort"), resellers.SORTS, "name")
    page = resellers.resellers_page(query, request.args.get("page", 1, type=page_number), PER_PAGE, sort=sort)
    counts = resellers.user_counts([r.id for r in page.items])
    return render("admin/resellers/index.html", block="results", page=page, query=query, counts=counts, sort=sort)


@bp.get("/resellers/new")
def resellers_new():
    return render("admin/resellers/form.html", form=ResellerForm(country="UY", currency="USD"), reseller=None)


@bp.post("/resellers/")
def resellers_create():
    form = ResellerForm()
    if form.validate_on_submit():
        try:
            reseller = resellers.create_reseller(by=_me(), **_fields(form))
        except resellers.ResellerError as exc:
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Reseller %(name)s created.", name=reseller.name), "success")
            return redirect(url_for("admin.resellers_show", reseller_id=reseller.id), 303)
    return render("admin/resellers/form.html", block="content", form=form, reseller=None), 422


@bp.get("/resellers/<int:reseller_id>")
def resellers_show(reseller_id: int):
    return _show(_reseller_or_404(reseller_id), InviteUserForm())


@bp.get("/resellers/<int:reseller_id>/edit")
def resellers_edit(reseller_id: int):
    reseller = _reseller_or_404(reseller_id)
    return render("admin/resellers/form.html", form=ResellerForm(obj=reseller), reseller=reseller)


@bp.post("/resellers/<int:reseller_id>/edit")
def resellers_update(reseller_id: int):
    reseller = _reseller_or_404(reseller_id)
    form = ResellerForm()
    if form.validate_on_submit():
        try:
            changes = resellers.update_reseller(reseller, by=_me(), **_fields(form))
        except resellers.ResellerError as exc:
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Reseller saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("admin.resellers_show", reseller_id=reseller.id), 303)
    return render("admin/resellers/form.html", block="content", form=form, reseller=reseller), 422


@bp.post("/resellers/<int:reseller_id>/suspend")
def resellers_suspend(reseller_id: int):
    reseller = _reseller_or_404(reseller_id)
    apply_action(resellers.suspend_reseller, reseller, _("%(name)s is suspended.", name=reseller.name))
    return redirect(url_for("admin.resellers_show", reseller_id=reseller.id), 303)


@bp.post("/resellers/<int:reseller_id>/reactivate")
def resellers_reactivate(reseller_id: int):
    reseller = _reseller_or_404(reseller_id)
    apply_action(resellers.reactivate_reseller, reseller, _("%(name)s is active again.", name=reseller.name))
    return redirect(url_for("admin.resellers_show", reseller_id=reseller.id), 303)


@bp.post("/resellers/<int:reseller_id>/users")
def users_invite(reseller_id: int):
    reseller = _reseller_or_404(reseller_id)
    form = InviteUserForm()
    if invite_from(form, reseller):
        return redirect(url_for("admin.resellers_show", reseller_id=reseller.id), 303)
    return _show(reseller, form), 422


@bp.post("/resellers/<int:reseller_id>/users/<int:user_id>/disable")
def users_disable(reseller_id: int, user_id: int):
    user = reseller_user_or_404(reseller_id, user_id)
    apply_action(resellers.disable_user, user, _("%(email)s is disabled and logged out.", email=user.email))
    return redirect(url_for("admin.resellers_show", reseller_id=reseller_id), 303)


@bp.post("/resellers/<int:reseller_id>/users/<int:user_id>/enable")
def users_enable(reseller_id: int, user_id: int):
    user = reseller_user_or_404(reseller_id, user_id)
    apply_action(resellers.enable_user, user, _("%(email)s is enabled.", email=user.email))
    return redirect(url_for("admin.resellers_show", reseller_id=reseller_id), 303)


@bp.post("/resellers/<int:reseller_id>/users/<int:user_id>/role")
def users_change_role(reseller_id: int, user_id: int):
    user = reseller_user_or_404(reseller_id, user_id)
    form = TeamRoleForm()
    if form.validate_on_submit():
        role = TeamRole(form.team_role.data)
        message = _("%(email)s is now %(role)s.", email=user.email, role=TEAM_ROLE_LABELS[role.value])
        apply_action(lambda target, by: resellers.change_team_role(target, role, by=by), user, message)
    else:
        flash(_("Choose a role."), "error")
    return redirect(url_for("admin.resellers_show", reseller_id=reseller_id), 303)


@bp.post("/resellers/<int:reseller_id>/users/<int:user_id>/reset-password")
def users_reset_password(reseller_id: int, user_id: int):
    user = reseller_user_or_404(reseller_id, user_id)
    apply_action(resellers.send_password_reset, user, _("A set-password link was sent to %(email)s.", email=user.email))
    return redirect(url_for("admin.resellers_show", reseller_id=reseller_id), 303)


def _show(reseller: Reseller, invite_form: InviteUserForm) -> str:
    users = db.session.scalars(sa.select(User).where(User.reseller_id == reseller.id).order_by(User.email)).all()
    return render("admin/resellers/show.html", block="content", reseller=reseller, users=users,
                  invite_form=invite_form, has_password=accounts.has_usable_password,
                  role_labels=TEAM_ROLE_LABELS)



def _me() -> User:
    return current_user._get_current_object()


def _fields(form: ResellerForm) -> dict[str, str]:
    return {key: getattr(form, key).data for key in EDITABLE_FIELDS}


def _attach_error(form: ResellerForm, exc: resellers.ResellerError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    (field.errors if field is not None else form.form_errors).append(str(exc))


def _reseller_or_404(reseller_id: int) -> Reseller:
    return db.get_or_404(Reseller, reseller_id)


def reseller_user_or_404(reseller_id: int, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.reseller_id != reseller_id:
        abort(404)
    return user
