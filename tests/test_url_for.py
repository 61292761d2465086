"""Templates build links with a memoized url_for (blueprints.template_helpers): the same URLs as Flask's."""
import pytest
from flask import render_template_string, url_for


@pytest.mark.parametrize("call", [
    "url_for('static', filename='canal.css')",
    "url_for('licenses.order', order_id=7)",
    "url_for('licenses.index', status='pending', page=2)",
    "url_for('catalog.index', q='ñandú & co')",
    "url_for('licenses.order', order_id=7, _anchor='assign')",
    "url_for('licenses.index', status=['a', 'b'])",
    "url_for('licenses.order', order_id=7, _external=True)",
])
def test_a_template_link_is_the_one_flask_builds(app, call):
    for script_root in ("", "/portal"):  # mounted under a prefix, the links follow
        with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": script_root}):
            expected = eval(call, {"url_for": url_for})  # noqa: S307 - the parameters above
            assert render_template_string("{{ " + call + " }}") == str(expected).replace("&", "&amp;")
            assert render_template_string("{{ " + call + " }}") == str(expected).replace("&", "&amp;")  # memoized


def test_a_bool_is_not_taken_for_the_int_it_equals(app):
    with app.test_request_context("/"):
        assert render_template_string("{{ url_for('licenses.index', page=1) }}") == "/licenses/?page=1"
        assert render_template_string("{{ url_for('licenses.index', page=True) }}") == "/licenses/?page=True"
