"""Orders of every reseller, filtered by reseller, status and date, newest first."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import Optional, ValidationError

from blueprints import render
from blueprints.admin import args_without, bp
from blueprints.admin.approvals import STAFF_LABELS
from blueprints.admin.forms import FilterForm
from models import OrderStatus, Reseller, db
from services import staff_lists
from services.numbers import optional_id
from services.orders import orders
from services.paging import parse_sort


def reseller_choices() -> list[SelectChoice]:
    rows = db.session.execute(sa.select(Reseller.id, Reseller.name).order_by(sa.func.lower(Reseller.name)))
    return [SelectChoice("", _l("All resellers"))] + [SelectChoice(id_, name) for id_, name in rows]


def day_range(since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    """[since 00:00 UTC, the day after `until` 00:00 UTC): both days included."""
    start = datetime.combine(since, time.min, tzinfo=UTC) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC) if until else None
    return start, end


class DatedFilterForm(FilterForm):
    reseller = SelectField(_l("Reseller"), coerce=optional_id, validators=[Optional()])
    since = DateField(_l("From (UTC)"), validators=[Optional()])
    until = DateField(_l("To (UTC)"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reseller.choices = reseller_choices()

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date must not be before the start date."))


class OrderFilterForm(DatedFilterForm):
    status = SelectField(_l("Status"), validators=[Optional()],
                         choices=[SelectChoice("", _l("All"))] + [SelectChoice(s.value, _l(STAFF_LABELS[s]))
                                                                 for s in OrderStatus])


@bp.get("/orders/")
def orders_index():
    form = OrderFilterForm(formdata=request.args)
    if not form.validate():
        return render("admin/orders.html", block="results", form=form, page=None, filters={}), 422
    start, end = day_range(form.since.data, form.until.data)
    status = OrderStatus(form.status.data) if form.status.data else None
    sort = parse_sort(request.args.get("sort"), staff_lists.ORDER_SORTS, "-placed")
    page = staff_lists.orders_page(sort, reseller_id=form.reseller.data, status=status, start=start, end=end,
                                   cursor=request.args.get("before"))
    return render("admin/orders.html", block="results", form=form, page=page, filters=args_without("before"),
                  availability=orders.availability([o.id for o in page.items]), labels=STAFF_LABELS, sort=sort)
