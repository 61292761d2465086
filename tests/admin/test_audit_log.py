"""The audit log page: filters, pages, and a CSV export that is safe to open in a spreadsheet."""
import csv
import io
import re
from datetime import datetime, timedelta

import pytest

from blueprints.admin.audit import safe_cell
from models import AuditEvent, Role, db, utcnow
from tests.factories import make_user
from tests.support import HX


@pytest.fixture
def staff(login):
    return login(make_user(Role.STAFF, email="sofia@distri.test"))


def event(action, actor=None, object_type="Reseller", object_id="1", at=None, **details) -> AuditEvent:
    row = AuditEvent(action=action, actor_id=actor.id if actor else None, object_type=object_type,
                     object_id=object_id, details=details, at=at or utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def test_shows_who_did_what_to_which_object_and_when(client, staff):
    event("reseller.suspend", staff, "Reseller", "7", reason="unpaid")
    db.session.commit()
    html = client.get("/admin/audit/").get_data(as_text=True)
    for text in ("sofia@distri.test", "reseller.suspend", "Reseller #7", "reason=unpaid"):
        assert text in html


def test_filters_by_actor_object_and_dates(client, staff):
    other = make_user(Role.STAFF, email="otro@distri.test")
    day = datetime(2026, 11, 10, 12, 0, tzinfo=utcnow().tzinfo)
    event("a.old", staff, "Reseller", "1", at=day - timedelta(days=5))
    event("a.in-range", staff, "Reseller", "2", at=day)
    event("a.other-actor", other, "User", "3", at=day)
    db.session.commit()

    def actions(query):
        html = client.get("/admin/audit/?" + query).get_data(as_text=True)
        return {a for a in ("a.old", "a.in-range", "a.other-actor") if a in html}

    assert actions("actor=SOFIA") == {"a.old", "a.in-range"}
    assert actions("object_type=user") == {"a.other-actor"}
    assert actions("object_type=Reseller&object_id=2") == {"a.in-range"}
    assert actions("since=2026-11-10&until=2026-11-10") == {"a.in-range", "a.other-actor"}
    assert actions("until=2026-11-09") == {"a.old"}
    assert actions("actor=%25") == set()  # a literal percent sign matches nobody
    fragment = client.get("/admin/audit/?actor=otro", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and "a.other-actor" in fragment


def test_bad_dates_are_flagged_next_to_the_field(client, staff):
    response = client.get("/admin/audit/?since=2026-13-40")
    assert response.status_code == 422 and 'id="since-error"' in response.get_data(as_text=True)
    response = client.get("/admin/audit/?since=2026-11-10&until=2026-11-01")
    assert response.status_code == 422
    assert "The end date must not be before the start date." in response.get_data(as_text=True)
    assert client.get("/admin/audit/export.csv?until=nope").status_code == 422


def test_pages_newest_first(client, staff):
    rows = [event(f"e.{n:03d}", staff) for n in range(55)]
    db.session.commit()
    first = client.get("/admin/audit/?actor=sofia").get_data(as_text=True)
    assert "e.054" in first and "e.005" in first and "e.004" not in first
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert f"before={rows[5].id}" in older and "actor=sofia" in older  # the filter is kept
    second = client.get(older).get_data(as_text=True)
    assert "e.004" in second and "e.000" in second and "e.005" not in second


def test_empty_states(client, staff):
    db.session.execute(db.delete(AuditEvent))
    db.session.commit()
    assert "Nothing has been recorded yet." in client.get("/admin/audit/").get_data(as_text=True)
    assert "No events match these filters." in client.get("/admin/audit/?actor=nobody").get_data(as_text=True)


def test_csv_export_of_the_filtered_rows(client, staff):
    event("kept", staff, "Reseller", "9", note="ok")
    event("filtered.out", staff, "User", "9")
    db.session.commit()
    response = client.get("/admin/audit/export.csv?object_type=Reseller")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["id", "at_utc", "actor", "on_behalf_of", "action", "object_type", "object_id", "details",
                       "ip"]
    assert [r[4] for r in rows[1:]] == ["kept"]
    assert rows[1][2] == "sofia@distri.test" and rows[1][3] == "" and rows[1][7] == "note=ok"


def test_csv_export_is_safe_against_formula_injection(client, staff):
    evil = make_user(Role.STAFF, email="eve@distri.test")
    event("=HYPERLINK(\"http://evil.test\")", evil, "Reseller", "+1", name="-2+3", cmd="@SUM(A1)")
    event("tabbed", evil, "\tReseller", "\r5")
    db.session.commit()
    text = client.get("/admin/audit/export.csv?actor=eve").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'=HYPERLINK(\"http://evil.test\")" in cells and "'+1" in cells
    assert "'\tReseller" in cells and "'\r5" in cells
    assert "cmd=@SUM(A1), name=-2+3" in cells  # starts with a letter: left as it is
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells)


@pytest.mark.parametrize("value,expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("plain", "plain"), ("a=b", "a=b"), (None, ""), (42, "42"), ("", ""),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected
