"""Template texts through Flask-Babel's Jinja i18n: each language gets its own texts, values are escaped in
HTML and left as typed in plain-text templates, and macros imported without context translate too."""
from flask import render_template_string
from flask_babel import force_locale
from flask_login import login_user

from tests.factories import make_reseller, make_user

SOURCE = ('{{ _("Cart") }}|{{ _("Tax (%(rate)s%%)", rate=21) }}|{{ _("matching “%(q)s”", q=q) }}'
          '|{{ gettext("Cart") }}|{{ _(label) }}')


def render_as(app, locale: str, source: str, **context) -> str:
    with app.app_context(), app.test_request_context():
        login_user(make_user(reseller=make_reseller(), locale=locale))
        return render_template_string(source, **context)


def test_each_language_gets_its_own_texts(app):
    assert render_as(app, "es", SOURCE, q="<b>", label="Cart") == \
        "Carrito|Impuesto (21 %)|que coinciden con “&lt;b&gt;”|Carrito|Carrito"
    assert render_as(app, "en", SOURCE, q="<b>", label="Cart") == "Cart|Tax (21%)|matching “&lt;b&gt;”|Cart|Cart"
    assert render_as(app, "es", SOURCE, q="x", label="Cart").startswith("Carrito|")  # not the English one, kept


def test_texts_outside_autoescaping_are_plain(app):
    source = '{% autoescape false %}{{ _("matching “%(q)s”", q=q) }}{% endautoescape %}'
    assert render_as(app, "en", source, q="<b>") == "matching “<b>”"


def test_a_forced_language_translates_the_render(app):
    # e-mails render in their recipient's language (services.mail.outbox): force_locale around the render
    with app.app_context(), app.test_request_context():
        login_user(make_user(reseller=make_reseller(), locale="en"))
        with force_locale("es"):
            assert render_template_string('{{ _("Cart") }}') == "Carrito"
        assert render_template_string('{{ _("Cart") }}') == "Cart"


def test_macros_imported_without_context_speak_the_viewers_language(app):
    # the rows of a list are macros imported without context, and every POST form has its CSRF field
    source = ('{% from "imports/_file_status.html" import file_status %}{{ csrf_field() }}|'
              '{{ file_status(done) }}|{{ file_status(queued) }}')
    done = {"status": {"value": "COMPLETED"}, "failed_count": 2}
    queued = {"status": {"value": "PENDING"}, "failed_count": 0}
    csrf, partial, pending = render_as(app, "es", source, done=done, queued=queued).split("|")
    assert csrf.startswith('<input name="csrf_token" type="hidden" value="') and " id=" not in csrf
    assert partial == '<span class="status status-partial">Completada con errores</span>'
    assert pending == '<span class="status status-pending">Pendiente</span>'
