"""Templates are compiled once per language, their literal _() texts translated as they compile
(blueprints/translated_templates.py), with the same rules as the render's _()."""
import pytest
from flask_login import login_user
from jinja2 import DictLoader

from blueprints.translated_templates import TranslatingEnvironment
from tests.factories import make_reseller, make_user

SOURCE = ('{{ _("Cart") }}|{{ _("Tax (%(rate)s%%)", rate=21) }}|{{ _("matching “%(q)s”", q=q) }}'
          '|{{ gettext("Cart") }}|{{ _(label) }}')


@pytest.fixture
def env(app):
    """An environment of the app's kind over one template, without the app's `_`: a literal _() left for the
    render would fail with "'_' is undefined"."""
    return TranslatingEnvironment(app, loader=DictLoader({"page.html": SOURCE}), autoescape=True)


def render_as(app, env, locale: str, **context) -> str:
    with app.app_context(), app.test_request_context():
        login_user(make_user(reseller=make_reseller(), locale=locale))
        return env.get_template("page.html").render(_=lambda message: f"[{message}]", **context)


def test_each_language_gets_its_own_compiled_texts(app, env):
    spanish = render_as(app, env, "es", q="<b>", label="Cart")
    english = render_as(app, env, "en", q="<b>", label="Cart")
    assert spanish == "Carrito|Impuesto (21 %)|que coinciden con “&lt;b&gt;”|Carrito|[Cart]"
    assert english == "Cart|Tax (21%)|matching “&lt;b&gt;”|Cart|[Cart]"
    assert render_as(app, env, "es", q="x", label="Cart").startswith("Carrito|")  # the Spanish one, kept


def test_texts_outside_autoescaping_are_plain(app):
    env = TranslatingEnvironment(app, loader=DictLoader({"mail.txt": '{{ _("matching “%(q)s”", q=q) }}'}),
                                 autoescape=False)
    with app.app_context(), app.test_request_context():
        login_user(make_user(reseller=make_reseller(), locale="en"))
        assert env.get_template("mail.txt").render(q="<b>") == "matching “<b>”"
