"""A provisioning time typed in the user's zone is stored as the right UTC instant, across DST changes."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from rq_scheduler import Scheduler

from models import Import, db, utcnow
from queues import get_redis
from services.provisioning import provisioning
from services.provisioning.provisioning import AmbiguousTimeError, ProvisioningError
from tests.provisioning import configured, url, wizard_setup


@pytest.fixture
def setup(login):
    return wizard_setup(login)


def wall(text: str) -> datetime:
    return datetime.fromisoformat(text)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- the conversion, on the dates the issue names -------------------------------------------------

@pytest.mark.parametrize("zone,local,expected", [
    ("Europe/Madrid", "2026-03-29T01:30", "2026-03-29T00:30"),       # before the spring change (+01)
    ("Europe/Madrid", "2026-03-29T03:30", "2026-03-29T01:30"),       # after it (+02)
    ("Europe/Madrid", "2026-10-25T03:30", "2026-10-25T02:30"),       # after the autumn change (+01)
    ("America/Montevideo", "2026-12-01T12:00", "2026-12-01T15:00"),  # no DST: -03 all year
    ("America/Montevideo", "2027-01-15T12:00", "2027-01-15T15:00"),
    ("America/Santiago", "2027-01-15T12:00", "2027-01-15T15:00"),    # southern summer time (-03)
    ("America/Santiago", "2027-07-15T12:00", "2027-07-15T16:00"),    # winter (-04)
])
def test_a_local_time_becomes_its_utc_instant(zone, local, expected):
    assert provisioning.local_to_utc(wall(local), zone) == utc(expected)


@pytest.mark.parametrize("zone,local", [("Europe/Madrid", "2026-03-29T02:30"),
                                        ("America/Santiago", "2027-09-05T00:30")])
def test_a_time_the_clocks_skip_is_refused(zone, local):
    with pytest.raises(ProvisioningError, match="does not exist"):
        provisioning.local_to_utc(wall(local), zone)


@pytest.mark.parametrize("zone,local,first,second", [
    ("Europe/Madrid", "2026-10-25T02:30", "2026-10-25T00:30", "2026-10-25T01:30"),
    ("America/Santiago", "2027-04-03T23:30", "2027-04-04T02:30", "2027-04-04T03:30"),
])
def test_a_repeated_time_needs_its_occurrence(zone, local, first, second):
    with pytest.raises(AmbiguousTimeError, match=f"first occurrence \\({first[-5:]} UTC\\)"):
        provisioning.local_to_utc(wall(local), zone)
    assert provisioning.local_to_utc(wall(local), zone, fold=0) == utc(first)
    assert provisioning.local_to_utc(wall(local), zone, fold=1) == utc(second)


# --- through the wizard, at the zone's next DST changes (within the year a schedule allows) -------

def next_changes(zone: str) -> dict[str, tuple[datetime, datetime, datetime]]:
    """{"gap"|"repeat": (local wall time inside it, UTC of its first reading, UTC of its second)}."""
    tz, found = ZoneInfo(zone), {}
    t = (utcnow() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    before = t.astimezone(tz).utcoffset()
    while t < utcnow() + timedelta(days=360) and len(found) < 2:
        t += timedelta(minutes=30)
        after = t.astimezone(tz).utcoffset()
        if after != before:
            start = (t + min(before, after)).replace(tzinfo=None) + timedelta(minutes=30)
            kind = "gap" if after > before else "repeat"
            found.setdefault(kind, (start, (start - before).replace(tzinfo=UTC), (start - after).replace(tzinfo=UTC)))
            before = after
    return found


def post_local(client, customer, local: datetime, **extra):
    data = {"run_at": local.strftime("%Y-%m-%dT%H:%M"), "run_at_zone": "local", "schedule": "Schedule", **extra}
    return client.post(url(customer, "review"), data=data)


def scheduled_at(run_at: datetime) -> datetime:
    """The second the run waits for: the job that picks up every import due at that second is queued by
    rq-scheduler DUE_RUN_LEAD early."""
    jobs = Scheduler(connection=get_redis()).get_jobs(with_times=True)
    [(_, at)] = [(job, at) for job, at in jobs if job.id == provisioning.due_job_id(run_at)]
    return at.replace(tzinfo=UTC) + provisioning.DUE_RUN_LEAD


@pytest.mark.parametrize("zone", ["Europe/Madrid", "America/Santiago"])
def test_the_wizard_stores_utc_across_the_zones_dst_changes(client, setup, zone):
    user, customer, _ = configured(client, setup)
    user.timezone = zone
    db.session.commit()
    changes = next_changes(zone)
    gap, _, _ = changes["gap"]
    response = post_local(client, customer, gap)
    assert response.status_code == 422 and "does not exist" in response.text
    repeated, first, second = changes["repeat"]
    response = post_local(client, customer, repeated)
    assert response.status_code == 422 and "happens twice" in response.text and 'name="fold"' in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Import)) == 0

    assert post_local(client, customer, repeated, fold="1").status_code == 303
    imp = db.session.scalar(sa.select(Import))
    assert imp.run_at == second and scheduled_at(imp.run_at) == second
    assert second - first == timedelta(hours=1)


def test_the_wizard_in_montevideo_and_in_utc(client, setup):
    user, customer, _ = configured(client, setup)
    user.timezone = "America/Montevideo"
    db.session.commit()
    local = (utcnow() + timedelta(days=30)).replace(hour=12, minute=0, second=0, microsecond=0, tzinfo=None)
    assert post_local(client, customer, local).status_code == 303
    imp = db.session.scalar(sa.select(Import))
    assert imp.run_at == (local + timedelta(hours=3)).replace(tzinfo=UTC)
    assert scheduled_at(imp.run_at) == imp.run_at


def test_the_review_shows_the_time_in_utc_and_local(client, setup):
    user, customer, _ = configured(client, setup)
    user.timezone, user.locale = "America/Montevideo", "es"
    db.session.commit()
    review = client.get(url(customer, "review")).text
    assert "Mi zona horaria (America/Montevideo)" in review and "UTC" in review
    fragment = client.get(url(customer, "review/local-time") + "?run_at=2027-01-15T12:00&run_at_zone=local",
                          headers={"HX-Request": "true"}).text
    assert "2027-01-15 15:00 UTC" in fragment and "12:00" in fragment and "America/Montevideo" in fragment
