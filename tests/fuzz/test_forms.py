"""Hypothesis-generated values (unicode, control characters, very long strings, out-of-range numbers, empty)
for every field of every form, posted to the form's route(s) as a user of the right role: never a 500, and
an error response writes nothing."""
from __future__ import annotations

import pytest
from flask import url_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wtforms.fields import SubmitField
from wtforms.fields.core import UnboundField

from models import Role
from tests.fuzz.targets import TARGETS, build_world, form_classes, row_counts
from tests.support import HX

FORMS = form_classes()
XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
NASTY = XSS + ["", " ", "\x00", "a\x00b", "\r\nBcc: evil@example.com", "=HYPERLINK(\"http://x\")", "' OR 1=1 --",
               "NaN", "inf", "1e309", "-1", "0", "2147483648", "99999999999999999999999", "2024-02-30", "🦄" * 50,
               "x@y", "a" * 10_000]
EVERY_FIELD = ["\x00", "2147483648", "-2147483649", "9" * 30, "a" * 10_000, XSS[0], ""]
VALUE = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),                                      # any unicode, control characters included
    st.text(min_size=256, max_size=600),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
)


def fields_of(form_cls) -> dict[str, type]:
    return {name: value.field_class for name, value in vars_of(form_cls).items() if isinstance(value, UnboundField)}


def vars_of(cls) -> dict:
    merged = {}
    for klass in reversed(cls.__mro__):
        merged.update(vars(klass))
    return merged


def values_for(form_cls):
    entries = {}
    for name, field_class in fields_of(form_cls).items():
        strategy = st.sampled_from(["", "1", "y"]) if issubclass(field_class, SubmitField) else VALUE
        entries[name] = st.one_of(st.none(), strategy, st.lists(strategy, min_size=2, max_size=3))
    return st.fixed_dictionaries(entries).map(lambda d: {k: v for k, v in d.items() if v is not None})


def test_every_form_has_a_route_to_fuzz():
    missing = sorted(set(FORMS) - set(TARGETS))
    assert not missing, f"forms with no route in tests/fuzz/targets.py TARGETS: {missing}"
    assert not sorted(set(TARGETS) - set(FORMS)), "TARGETS names forms that no longer exist"


@pytest.mark.slow
@pytest.mark.parametrize("form_name", sorted(TARGETS))
def test_generated_values_never_cause_a_500_or_a_partial_write(form_name, app, client, login):
    world = build_world()
    targets = TARGETS[form_name]
    with app.test_request_context():
        urls = [(t, url_for(t.endpoint, **{arg: key[1:] if key.startswith("=") else world[key].id
                                           for arg, key in t.args})) for t in targets]

    @settings(max_examples=25, derandomize=True, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(values=values_for(FORMS[form_name]), htmx=st.booleans())
    def post(values, htmx):
        for target, url in urls:
            if target.role is None:
                with client.session_transaction() as session:
                    session.clear()
            else:
                login(world["staff"] if target.role is Role.STAFF else world["user"])
            before = row_counts()
            kwargs = {"query_string": values} if target.method == "GET" else {"data": values}
            response = client.open(url, method=target.method, headers=HX if htmx else {}, **kwargs)
            assert response.status_code < 500, f"{target.method} {url} {values!r}: {response.status_code}"
            if response.status_code >= 400:
                after = row_counts()
                assert after == before, f"{url} answered {response.status_code} but changed " + str(
                    {t: (before[t], after[t]) for t in before if before[t] != after[t]})

    for value in EVERY_FIELD:  # deterministic too: each of these in every field at once
        post.hypothesis.inner_test(values=dict.fromkeys(fields_of(FORMS[form_name]), value), htmx=False)
    post()
