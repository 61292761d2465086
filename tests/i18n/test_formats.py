"""Money, numbers and dates through Babel: the viewer's language, the reseller's country and currency,
the viewer's time zone; stored English failure reasons shown in the viewer's language."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from flask import render_template_string
from flask_login import login_user

from models import Role, db
from tests.factories import make_product, make_reseller, make_user

NBSP = "\xa0"


def render_as(app, user, source: str, **context) -> str:
    """Render as `user` in a request of its own (its own app context: Babel caches the locale there)."""
    with app.app_context(), app.test_request_context():
        login_user(user)
        return render_template_string(source, **context)


@pytest.fixture
def uruguayan():
    return make_reseller(country="UY", currency="USD")


@pytest.mark.parametrize("locale,expected", [("es", f"US${NBSP}253,00"), ("en", "$253.00")])
def test_money_in_the_resellers_currency_and_the_users_language(app, uruguayan, locale, expected):
    user = make_user(reseller=uruguayan, locale=locale)
    assert render_as(app, user, "{{ v|money }}", v=Decimal("253.00")) == expected


def test_money_in_another_currency_and_numbers(app, uruguayan):
    user = make_user(reseller=uruguayan, locale="es")
    assert render_as(app, user, "{{ v|money('UYU') }}", v=Decimal("1234567.5")) == f"${NBSP}1.234.567,50"
    assert render_as(app, user, "{{ v|number }}", v=Decimal("1234567.5")) == "1.234.567,5"
    user.locale = "en"
    assert render_as(app, user, "{{ v|number }}", v=Decimal("1234567.5")) == "1,234,567.5"


def test_a_spanish_reseller_outside_latin_america_gets_its_countrys_format(app):
    user = make_user(reseller=make_reseller(country="ES", currency="EUR"), locale="es")
    assert render_as(app, user, "{{ v|money }}", v=Decimal("253")) == f"253,00{NBSP}€"


@pytest.mark.parametrize("zone,locale,moment,expected", [
    ("America/Montevideo", "es", "2026-12-01T15:00", ["1 dic", "2026", "12:00"]),
    ("America/Montevideo", "en", "2026-12-01T15:00", ["Dec 1, 2026", "12:00"]),
    ("Europe/Madrid", "en", "2026-03-29T00:30", ["Mar 29, 2026", "1:30"]),   # before the change: +01
    ("Europe/Madrid", "en", "2026-03-29T01:30", ["Mar 29, 2026", "3:30"]),   # after: +02
    ("Europe/Madrid", "en", "2026-10-25T00:30", ["Oct 25, 2026", "2:30"]),   # first 02:30 (+02)
    ("Europe/Madrid", "en", "2026-10-25T01:30", ["Oct 25, 2026", "2:30"]),   # second 02:30 (+01)
])
def test_dates_in_the_users_zone_and_language(app, uruguayan, zone, locale, moment, expected):
    user = make_user(reseller=uruguayan, locale=locale, timezone=zone)
    when = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    shown = render_as(app, user, "{{ t|local_datetime }}", t=when)
    for part in expected:
        assert part in shown, shown
    both = render_as(app, user, "{{ t|utc_and_local }}", t=when)
    assert f"{moment.replace('T', ' ')} UTC" in both


def test_a_stored_english_reason_is_shown_in_the_viewers_language(app, uruguayan):
    user = make_user(reseller=uruguayan, locale="es")
    stored = ["Parent account not active: the customer C-7 is inactive.", "Enter a valid e-mail address.",
              "Tenant unknown to the vendor."]
    shown = render_as(app, user, "{{ r|map('reason')|join(' | ') }}", r=stored)
    assert shown == ("Cuenta principal no activa: el cliente C-7 está inactivo. | "
                     "Ingrese una dirección de correo electrónico válida. | Tenant unknown to the vendor.")
    user.locale = "en"
    assert render_as(app, user, "{{ r|map('reason')|join(' | ') }}", r=stored) == " | ".join(stored)


def test_a_uruguayan_reseller_sees_its_prices_in_spanish_on_the_catalog(client, login, uruguayan):
    make_product(name="Office Hogar", price=Decimal("253.00"))
    user = make_user(Role.RESELLER, reseller=uruguayan, locale="es")
    db.session.commit()
    login(user)
    page = client.get("/catalog/?q=Office").text
    assert f"US${NBSP}253,00" in page or "US$&nbsp;253,00" in page


def test_template_gettext_keeps_jinjas_newstyle_rules(app):
    # "%%" is always a literal percent sign, variables are escaped, and a plain message stays Markup-safe
    user = make_user(reseller=make_reseller(), locale="en")
    source = '{{ _("Tax (%(rate)s%%)", rate=21) }}|{{ _("matching “%(q)s”", q="<b>") }}|{{ _("Cart") }}'
    assert render_as(app, user, source) == "Tax (21%)|matching “&lt;b&gt;”|Cart"


def test_a_lazy_label_shows_in_the_language_of_each_render(app):
    """Lazy labels are translated once per render (blueprints.template_helpers): a render in another language
    in the same request (an e-mail in the customer's language) shows its own."""
    from flask import render_template_string
    from flask_babel import force_locale
    from flask_babel import lazy_gettext as _l

    label, quoted = _l("Cancelled"), _l("Pending")
    page = "{{ label }}|{{ label }}|{{ quoted }}"
    with app.test_request_context("/"):
        with force_locale("es"):
            assert render_template_string(page, label=label, quoted=quoted) == "Cancelado|Cancelado|Pendiente"
        with force_locale("en"):
            assert render_template_string(page, label=label, quoted=quoted) == "Cancelled|Cancelled|Pending"


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_age_says_what_babel_says(app, uruguayan, language):
    """|age keeps its texts by what they say (the count of the unit shown): the same text as format_timedelta for
    any duration, around every unit's threshold and rounding, past or future."""
    from babel.dates import TIMEDELTA_UNITS, format_timedelta

    from services.locales import regional_locale

    user = make_user(reseller=uruguayan, locale=language)
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    durations = sorted({max(0, k * unit * f + eps) for _name, unit in TIMEDELTA_UNITS for k in range(60)
                        for f in (0.5, 0.85, 1, 1.5) for eps in (-1, -0.5, -0.001, 0, 0.001, 0.5, 1)})
    whens = [now - timedelta(seconds=s) for s in durations] + [now + timedelta(seconds=s) for s in durations]
    shown = render_as(app, user, "{% for w in whens %}{{ w|age(now) }}|{% endfor %}", whens=whens, now=now)
    locale = regional_locale(language, "UY")
    assert shown.split("|")[:-1] == [format_timedelta(now - when, locale=locale) for when in whens]
