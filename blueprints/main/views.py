from datetime import UTC, date, datetime, time, timedelta

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from blueprints import render
from blueprints.auth.forms import EmptyForm
from blueprints.auth.session import safe_next
from blueprints.impersonating import own_people_only
from blueprints.main import bp
from blueprints.main.forms import PreferencesForm
from models import db, utcnow
from services import dashboard, ops_dashboard, reseller_dashboard
from services.accounts import accounts

OWN_PREFERENCES = _l("Only the user can change their own preferences, not staff logged in as them.")


@bp.get("/")
@login_required
def home():
    """Each role's work list: what to act on now, each item linking to where it is done."""
    if current_user.is_reseller:
        home = reseller_dashboard.reseller_home(current_user.reseller_id)
        return render("main/home.html", role="reseller", home=home)
    if current_user.is_staff:
        # UTC days, as the admin lists' date filters the items link to
        today = utcnow().date()
        month = today.replace(day=1)
        return render("main/home.html", role="staff", counts=dashboard.attention(), now=utcnow(), today=today,
                      month=month, to_approve=dashboard.orders_to_approve(),
                      due_today=dashboard.imports_due_between(_utc_midnight(today),
                                                              _utc_midnight(today + timedelta(days=1))),
                      sales=dashboard.sales_since(_utc_midnight(month)))
    return render("main/home.html", role=current_user.role.value, status=ops_dashboard.ops_status())


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@bp.get("/preferences")
@login_required
@own_people_only(OWN_PREFERENCES)
def preferences():
    form = PreferencesForm(locale=current_user.locale or "", timezone=current_user.timezone or "UTC")
    return render("main/preferences.html", form=form)


@bp.post("/preferences")
@login_required
@own_people_only(OWN_PREFERENCES)
def preferences_update():
    form = PreferencesForm()
    if not form.validate_on_submit():
        return render("main/preferences.html", block="content", form=form), 422
    accounts.set_preferences(current_user, locale=form.locale.data or None, timezone=form.timezone.data)
    db.session.commit()
    flash(_("Your preferences were saved."), "success")
    return redirect(url_for("main.preferences"), 303)


@bp.post("/language/<code>")
@own_people_only(OWN_PREFERENCES)
def switch_language(code: str):
    """The header's EN/ES switch: saved on the user, or in the session before logging in."""
    form = EmptyForm()
    if form.validate_on_submit() and code in ("en", "es"):
        if current_user.is_authenticated:
            accounts.set_preferences(current_user, locale=code)
            db.session.commit()
        else:
            session["locale"] = code
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"), 303)
