from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import format_datetime, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from blueprints import render
from blueprints.auth.forms import EmptyForm
from blueprints.customers.views import customer_or_404
from blueprints.impersonating import own_people_only
from blueprints.provisioning import bp
from blueprints.provisioning.forms import ConfigureForm, ScheduleForm, SelectServiceForm, TermsForm
from extensions import htmx
from models import BILLING_TYPES, Customer, ServiceDraft, db, utcnow
from services.connectors import get_connector
from services.numbers import page_number
from services.provisioning import new_service, provisioning
from services.provisioning import provisioning_rules as rules
from services.provisioning.provisioning import AmbiguousTimeError, ProvisioningError

STEPS = ("select", "terms", "configure", "review")
TERMS_ARE_THE_RESELLERS = _l("Only the reseller's own people can accept terms on the company's behalf, "
                             "not staff logged in as one of them.")


def _wizard(customer_id: int, step: str) -> tuple[Customer, ServiceDraft | None, str | None]:
    """The customer (404 if not ours), the draft, and the step to go to first if an earlier one is unfinished."""
    customer = customer_or_404(customer_id)
    if not customer.is_active:
        flash(_("%(name)s is inactive: activate it before adding services.", name=customer.name), "error")
        abort(redirect(url_for("customers.show", customer_id=customer.id), 303))
    draft = new_service.get_draft(current_user, customer)
    first = _first_unfinished(customer, draft)
    return customer, draft, first if STEPS.index(first) < STEPS.index(step) else None


def _first_unfinished(customer: Customer, draft: ServiceDraft | None) -> str:
    if draft is None or draft.product is None or not rules.service_available(draft.product):
        return "select"
    if not provisioning.terms_accepted(customer.reseller_id, draft.product):
        return "terms"
    if not draft.config or rules.config_errors(draft.product, draft.config):
        return "configure"
    return "review"


def _go(customer: Customer, step: str):
    return redirect(url_for(f"provisioning.{step}", customer_id=customer.id), 303)


def _page(step: str, customer: Customer, draft: ServiceDraft | None, **context):
    if "services" in context:  # the select step lists services at the reseller's own prices
        context["prices"] = new_service.service_prices(current_user.reseller_id, context["services"])
    return render(f"provisioning/{step}.html", customer=customer, draft=draft, step=step, steps=STEPS,
                  terms_skipped=bool(draft and draft.product and step in ("configure", "review") and
                                     not draft.product.terms_text.strip()), **context)


@bp.get("")
def start(customer_id: int):
    customer = customer_or_404(customer_id)
    draft = new_service.get_draft(current_user, customer)
    if draft is not None and draft.product is not None:
        flash(_("You are continuing the %(service)s service you started on %(date)s. "
                "Choose “Start over” to begin again.", service=draft.product.name,
                date=format_datetime(draft.updated_at, "short")), "info")
    return _go(customer, _first_unfinished(customer, draft))


@bp.post("/start-over")
def start_over(customer_id: int):
    customer = customer_or_404(customer_id)
    if EmptyForm().validate_on_submit():
        new_service.discard_draft(current_user, customer)
        db.session.commit()
    return _go(customer, "select")


@bp.get("/select")
def select(customer_id: int):
    customer, draft, _first = _wizard(customer_id, "select")
    q = request.args.get("q", "").strip()[:100]
    chosen = new_service.get_service(request.args.get("product", type=page_number))  # from the catalog's card
    if chosen is not None and not q:
        q = chosen.sku
    return _page("select", customer, draft, block="results", q=q, services=new_service.search_services(q),
                 form=SelectServiceForm(), owned=new_service.owned_services(customer), chosen=chosen)


@bp.post("/select")
def choose(customer_id: int):
    customer, draft, _first = _wizard(customer_id, "select")
    form = SelectServiceForm()
    product = new_service.get_service(form.chosen_id()) if form.validate_on_submit() else None
    if product is None:  # not a cloud service the catalog offers
        form.product_id.errors = [_("Choose a service from the list.")]
        return _page("select", customer, draft, q="", services=new_service.search_services(), form=form,
                     owned=new_service.owned_services(customer)), 422
    try:
        draft = draft or new_service.get_draft(current_user, customer, create=True)
        draft.choose(product)
        if not draft.config:
            draft.config = new_service.default_config(product, customer)
        db.session.commit()
    except IntegrityError:  # a double submit created the draft a moment ago: show the step again
        db.session.rollback()
        return _go(customer, "select")
    return _go(customer, "terms" if not provisioning.terms_accepted(customer.reseller_id, product) else "configure")


@bp.get("/terms")
def terms(customer_id: int):
    customer, draft, first = _wizard(customer_id, "terms")
    if first:
        return _go(customer, first)
    if provisioning.terms_accepted(customer.reseller_id, draft.product):
        return _go(customer, "configure")  # accepted before, by anyone of this reseller: skip the step
    return _page("terms", customer, draft, form=TermsForm())


@bp.post("/terms")
@own_people_only(TERMS_ARE_THE_RESELLERS)
def accept(customer_id: int):
    customer, draft, first = _wizard(customer_id, "terms")
    if first:
        return _go(customer, first)
    form = TermsForm()
    if not form.validate_on_submit():
        return _page("terms", customer, draft, form=form), 422
    provisioning.accept_terms(current_user.reseller, draft.product, current_user)
    db.session.commit()
    return _go(customer, "configure")


@bp.get("/configure")
def configure(customer_id: int):
    customer, draft, first = _wizard(customer_id, "configure")
    if first:
        return _go(customer, first)
    return _page("configure", customer, draft, form=ConfigureForm.from_config(draft.product, draft.config))


@bp.post("/configure")
def save_configuration(customer_id: int):
    customer, draft, first = _wizard(customer_id, "configure")
    if first:
        return _go(customer, first)
    form = ConfigureForm(draft.product)
    valid = form.validate_on_submit()
    config = form.config()
    for name, message in rules.config_errors(draft.product, config).items():
        field = getattr(form, name)
        if not field.errors:  # every field's error at once, not the form's first and then the service's
            field.errors = [*field.errors, message]
    if valid and not form.errors:
        draft.config = config
        db.session.commit()
        return _go(customer, "review")
    return _page("configure", customer, draft, form=form), 422


@bp.get("/review")
def review(customer_id: int):
    customer, draft, first = _wizard(customer_id, "review")
    if first:
        return _go(customer, first)
    default = (utcnow() + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return _review_page(customer, draft, ScheduleForm(run_at=default, zone=str(get_timezone())))


@bp.post("/review")
def schedule(customer_id: int):
    customer, draft, first = _wizard(customer_id, "review")
    if first:
        return _go(customer, first)
    form = ScheduleForm(zone=str(get_timezone()))
    valid = form.validate_on_submit()
    provision_now = bool(form.now.data)
    checks = _preflight(customer, draft)
    if not all(check.ok for check in checks):  # it would fail: never at once, and scheduled only on purpose
        if provision_now:
            form.form_errors.append(_("Provision now is not possible while a pre-flight check fails."))
            valid = provision_now = False
        elif not form.override.data:
            form.override.errors = [_("Tick this to schedule although a pre-flight check fails.")]
            valid = False
    if valid or (provision_now and set(form.errors) <= {"run_at"}):
        try:
            imp = provisioning.schedule_import(draft, customer, current_user,
                                               None if provision_now else form.run_at_utc())
        except ProvisioningError as exc:
            db.session.rollback()
            form.ask_fold = isinstance(exc, AmbiguousTimeError)
            (form.run_at.errors if exc.field == "run_at" else form.form_errors).append(str(exc))
        else:
            db.session.commit()
            flash(_("Provisioning of %(name)s started.", name=imp.name) if provision_now else
                  _("Provisioning of %(name)s scheduled for %(when)s.", name=imp.name,
                    when=f"{imp.run_at:%Y-%m-%d %H:%M} UTC ({format_datetime(imp.run_at, 'short')} {get_timezone()})"),
                  "success")
            return redirect(url_for("imports.index"), 303)
    return _review_page(customer, draft, form, checks), 422


@bp.get("/review/local-time")
def local_time(customer_id: int):
    customer_or_404(customer_id)
    if not htmx or htmx.boosted:  # a fragment URL opened as a page (reload, new tab): show the step instead
        return redirect(url_for("provisioning.review", customer_id=customer_id), 303)
    form, error = ScheduleForm(request.args, zone=str(get_timezone()), meta={"csrf": False}), None
    form.validate()
    try:
        run_at = form.run_at_utc() if not form.run_at.errors else None
    except ProvisioningError as exc:
        run_at, error = None, str(exc)
    return render("provisioning/review.html", block="local_time", run_at=run_at, zone=form.zone, time_error=error)


def _preflight(customer: Customer, draft: ServiceDraft) -> list[rules.Check]:
    return rules.preflight(current_user.reseller, customer, draft.product, draft.config, get_connector())


def _review_page(customer: Customer, draft: ServiceDraft, form: ScheduleForm, checks=None):
    checks = checks if checks is not None else _preflight(customer, draft)
    now = utcnow()
    # The picker's bounds hold for a time typed in UTC and one typed in the user's zone.
    walls = (now.replace(tzinfo=None), now.astimezone(get_timezone()).replace(tzinfo=None))
    quote = new_service.quote(draft.product, draft.config, current_user.reseller_id)
    return _page("review", customer, draft, form=form, quote=quote, checks=checks,
                 billing_types=BILLING_TYPES, alignments=rules.ALIGNMENTS,
                 run_at=_run_at_or_none(form), zone=form.zone,
                 min_run_at=(min(walls) + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M"),
                 max_run_at=(max(walls) + provisioning.MAX_LEAD).strftime("%Y-%m-%dT%H:%M"),
                 window_days=7)


def _run_at_or_none(form: ScheduleForm):
    try:
        return form.run_at_utc() if not form.run_at.errors else None
    except ProvisioningError:
        return None
