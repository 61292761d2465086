"""Benchmark (not a test): My imports' polling through gunicorn (2 sync workers), as htmx polls it.

- `csv`: a 20,000-row CSV import uploaded and run by a `flask jobs worker` while My imports is open with that
  import expanded: POLL_TABS tabs poll `/imports/?open=<id>` every 2 s as htmx does (HX headers, the ETag they were
  given sent back in If-None-Match), staggered. Upload to COMPLETED; each poll's server time (gunicorn's access
  log, %(D)s) and its latency at the client, p50/p99/max; the web workers' CPU per poll.
- `sessions`: SESSIONS reseller sessions with My imports open, each polling every 2 s while its reseller has an
  import RUNNING; every 2 s a CHANGING share of those imports moves its counters, as a run does. The web
  workers' CPU (utime + stime from /proc) over the window, in cores: the target is under a quarter of one.
  The polls answered, their latency, and how many were answered 304 (nothing changed).

Standalone: `.venv/bin/python -m bench.polling [database-url]` (a fresh SQLite database by default; a
PostgreSQL URL names an empty database). BENCH_POLL_PARTS=csv,sessions picks parts; BENCH_POLL_SECONDS
(default 30) is the sessions' window. The figures depend on the machine: run old and new code in turns.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from bench import csv_import, memory, server, stack
from bench.background import job_processes
from bench.datagen import BENCH_EMAIL
from services.demo import DEMO_PASSWORD

CSV_ROWS = 20_000
POLL_EVERY = 2.0
POLL_TABS = 5          # staggered tabs on the CSV import: more polls to take percentiles of
SESSIONS = 1_000
CHANGING = 0.10        # share of the running imports whose counters move every POLL_EVERY
IMPORTS_PER_RESELLER = 10
TARGETS = {"csv_s": 20.0, "poll_server_ms": 10.0, "poll_p99_ms": 100.0, "sessions_cores": 0.25}
HX = {"HX-Request": "true", "HX-Target": "imports-table", "HX-Trigger": "imports-table"}
BACKOFF = os.environ.get("BENCH_POLL_BACKOFF", "1") == "1"  # as static/canal.js: after 304s, 2, 4, 8 s
ACCESS_FORMAT = "%(s)s %(D)s %(U)s?%(q)s"


# --- the world: resellers with users and imports --------------------------------------------------------------

def insert_world(resellers: int = SESSIONS) -> list[tuple[int, str, int]]:
    """Resellers, one user each (the first is BENCH_EMAIL), IMPORTS_PER_RESELLER imports each of which the newest is
    RUNNING (a long lease: nothing recovers it), three items each. Returns (user id, session token, running id)."""
    from models import Import, ImportItem, Reseller, User, db, utcnow
    from services.accounts.passwords import hash_password

    now, password = utcnow(), hash_password(DEMO_PASSWORD)
    db.session.execute(sa.insert(Reseller.__table__), [
        {"id": i, "name": f"Poll {i} S.A.", "tax_id": f"31{i:010d}", "country": "UY", "currency": "USD",
         "status": "ACTIVE", "created_at": now} for i in range(1, resellers + 1)])
    db.session.execute(sa.insert(User.__table__), [
        {"id": i, "email": BENCH_EMAIL if i == 1 else f"poll@reseller{i}.test", "name": f"User {i}",
         "password_hash": password, "role": "reseller", "reseller_id": i, "enabled": True,
         "session_token": f"t{i}", "created_at": now} for i in range(1, resellers + 1)])
    imports, items, sessions = [], [], []
    for reseller in range(1, resellers + 1):
        for n in range(IMPORTS_PER_RESELLER):
            import_id = len(imports) + 1
            running = n == IMPORTS_PER_RESELLER - 1
            imports.append({"id": import_id, "reseller_id": reseller, "created_by_id": reseller, "source": "scheduled",
                            "account_type": "subscription", "name": f"Import {n}", "import_type": "CLD-000002",
                            "status": "RUNNING" if running else "COMPLETED", "run_at": now, "attempts": 1,
                            "lease_until": now.replace(year=now.year + 1) if running else None,
                            "completed_count": 0 if running else 3, "failed_count": 0, "created_at": now})
            items += [{"id": len(items) + k + 1, "import_id": import_id, "row_number": k + 1,
                       "status": "PENDING" if running else "COMPLETED", "quantity": 1, "billing_type": "monthly",
                       "config": {}, "reasons": [], "external_id": "", "direct_payment": False} for k in range(3)]
        sessions.append((reseller, f"t{reseller}", len(imports)))
    for table, rows in ((Import.__table__, imports), (ImportItem.__table__, items)):
        for start in range(0, len(rows), 5000):
            db.session.execute(sa.insert(table), rows[start:start + 5000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for name in ("reseller", "user", "import", "import_item"):
            db.session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                                       f"(SELECT MAX(id) FROM \"{name}\"))"))
        db.session.commit()
    return sessions


def next_poll(status: int, unchanged: int) -> tuple[float | None, int]:
    """What the browser does after a poll's answer (htmx and static/canal.js): how long until the next poll (None:
    it stops, 286) and how many polls in a row were answered 304."""
    if status == 286:
        return None, 0
    if status == 304 and BACKOFF:
        unchanged = min(unchanged + 1, 3)
        return POLL_EVERY * 2 ** (unchanged - 1), unchanged
    return POLL_EVERY, 0


# --- measuring ------------------------------------------------------------------------------------------------

def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of the processes (in /proc/<pid>/stat, clock ticks)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _percentiles(values: list[float], prefix: str) -> dict:
    if not values:
        return {f"{prefix}_n": 0}
    values = sorted(values)
    return {f"{prefix}_n": len(values), f"{prefix}_p50_ms": round(statistics.median(values), 2),
            f"{prefix}_p99_ms": round(values[max(0, int(len(values) * 0.99) - 1)], 2),
            f"{prefix}_max_ms": round(values[-1], 2)}


def _server_times(access_log: Path, offset: int, pattern: str, end: int | None = None
                  ) -> tuple[list[float], dict[str, int]]:
    """Milliseconds of each logged request whose path matches `pattern`, from `offset` to `end`, and statuses."""
    times, statuses = [], {}
    with access_log.open() as log:
        log.seek(offset)
        for line in log.read(None if end is None else end - offset).splitlines():
            parts = line.split()
            if len(parts) >= 3 and re.search(pattern, parts[2]):
                times.append(int(parts[1]) / 1000)
                statuses[parts[0]] = statuses.get(parts[0], 0) + 1
    return times, statuses


# --- part 1: the CSV import, expanded and polled --------------------------------------------------------------

class Tab(threading.Thread):
    """One browser tab with My imports open and the import expanded: a poll every POLL_EVERY, as htmx sends it."""

    def __init__(self, base: str, cookie: str, path: str, delay: float, stop: threading.Event):
        super().__init__(daemon=True)
        self.base, self.cookie, self.path, self.delay, self.stop = base, cookie, path, delay, stop
        self.etag, self.latencies, self.statuses, self.unchanged = None, [], {}, 0

    def run(self) -> None:
        if self.stop.wait(self.delay):
            return
        while True:
            start = time.perf_counter()
            headers = {**HX, "Cookie": self.cookie, "User-Agent": "canal-bench",
                       "HX-Current-URL": self.base + self.path}
            if self.etag:
                headers["If-None-Match"] = self.etag
            request = urllib.request.Request(self.base + self.path, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status, etag = response.status, response.headers.get("ETag")
                    response.read()
            except urllib.error.HTTPError as exc:  # 304 arrives as an error in urllib
                status, etag = exc.code, exc.headers.get("ETag")
            self.latencies.append((time.perf_counter() - start) * 1000)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.etag = etag or self.etag
            wait, self.unchanged = next_poll(status, self.unchanged)
            if wait is None or self.stop.wait(max(0.0, wait - (time.perf_counter() - start))):
                return


def csv_polled(base: str, web: list[int], access_log: Path) -> dict:
    opener = memory._logged_in(base)
    jar = next(h.cookiejar for h in opener.handlers if isinstance(h, urllib.request.HTTPCookieProcessor))
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    data = csv_import.generate_csv(CSV_ROWS, prefix=f"P{int(time.time()) % 100000}-")
    start = time.perf_counter()
    token = memory._csrf(opener.open(base + "/imports/upload", timeout=60).read().decode())
    body, content_type = memory._multipart({"csrf_token": token, "kind": "customers"}, "file", "clientes.csv", data)
    request = urllib.request.Request(base + "/imports/upload", data=body, headers={"Content-Type": content_type})
    with opener.open(request, timeout=300) as preview:
        preview_url, html = preview.geturl(), preview.read().decode()
    form = urllib.parse.urlencode({"csrf_token": memory._csrf(html)}).encode()
    offset, cpu_before = access_log.stat().st_size, cpu_seconds(web)
    with opener.open(preview_url + "/run", data=form, timeout=60) as progress:
        import_id = int(re.search(r"/imports/(\d+)/file", progress.geturl()).group(1))
    stop = threading.Event()
    tabs = [Tab(base, cookie, f"/imports/?open={import_id}", n * POLL_EVERY / POLL_TABS, stop)
            for n in range(POLL_TABS)]
    for tab in tabs:
        tab.start()
    status, completed, failed = csv_import._wait_completed(import_id, timeout=600)
    done = time.perf_counter()
    time.sleep(POLL_EVERY)  # the tabs see the end (and stop polling: 286)
    stop.set()
    for tab in tabs:
        tab.join(30)
    cpu = cpu_seconds(web) - cpu_before
    server_ms, statuses = _server_times(access_log, offset, r"^/imports/\?open=")
    latencies = [ms for tab in tabs for ms in tab.latencies]
    return {"rows": CSV_ROWS, "status": status, "completed": completed, "failed": failed,
            "upload_to_completed_s": round(done - start, 1), "poll_statuses": statuses,
            **_percentiles(server_ms, "poll_server"), **_percentiles(latencies, "poll_latency"),
            "web_cpu_s": round(cpu, 2), "web_cpu_ms_per_poll": round(1000 * cpu / max(1, len(server_ms)), 2)}


# --- part 2: many sessions polling ----------------------------------------------------------------------------

def session_cookies(env: dict, sessions: list[tuple[int, str, int]]) -> list[str]:
    """Signed session cookies as a login would leave them (a thousand logins would measure the password hash)."""
    app = stack.make_app(env)
    serializer = app.session_interface.get_signing_serializer(app)
    name, now = app.config["SESSION_COOKIE_NAME"], int(time.time())
    return [f"{name}=" + serializer.dumps({"_user_id": f"{user_id}:{token}", "_fresh": True, "_started": now,
                                          "_seen": now}) for user_id, token, _ in sessions]


async def _session(host: str, port: int, cookie: str, path: str, delay: float, until: float, record: dict) -> None:
    etag, unchanged = None, 0
    await asyncio.sleep(delay)
    while (start := time.monotonic()) < until:
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close", f"Cookie: {cookie}",
                 "User-Agent: canal-bench", *(f"{k}: {v}" for k, v in HX.items())]
        if etag:
            lines.append(f"If-None-Match: {etag}")
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            response = await reader.read()
            writer.close()
        except OSError:
            record["errors"] += 1
            await asyncio.sleep(POLL_EVERY)
            continue
        head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        status = int(head.split(" ", 2)[1])
        record["latencies"].append((time.monotonic() - start) * 1000)
        record["statuses"][status] = record["statuses"].get(status, 0) + 1
        if match := re.search(r"^ETag: (.+?)\r?$", head, re.M | re.I):
            etag = match.group(1)
        if match := re.search(r"^Set-Cookie: (session=[^;]+)", head, re.M | re.I):
            cookie = match.group(1)
        wait, unchanged = next_poll(status, unchanged)
        if wait is None:
            return
        await asyncio.sleep(max(0.0, wait - (time.monotonic() - start)))


def _changer(stop: threading.Event, running: list[int], env: dict) -> None:
    """Every POLL_EVERY, CHANGING of the running imports count one more item done, as a run's writes do."""
    from models import Import, db

    with stack.app_context(env):
        rnd = random.Random(3)
        while not stop.wait(POLL_EVERY):
            ids = rnd.sample(running, max(1, int(len(running) * CHANGING)))
            db.session.execute(sa.update(Import).where(Import.id.in_(ids))
                               .values(completed_count=Import.completed_count + 1))
            db.session.commit()


def sessions_polling(base: str, web: list[int], env: dict, sessions: list[tuple[int, str, int]],
                     seconds: int, access_log: Path) -> dict:
    cookies = session_cookies(env, sessions)
    host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
    record = {"latencies": [], "statuses": {}, "errors": 0}
    warmup = 2 * POLL_EVERY
    stop = threading.Event()
    changer = threading.Thread(target=_changer, args=(stop, [running for _, _, running in sessions], env), daemon=True)
    changer.start()

    async def everyone() -> tuple[float, float, int, float]:
        begin = time.monotonic()
        until = begin + warmup + seconds
        tasks = [asyncio.create_task(_session(host, port, cookie, f"/imports/?open={running}", n * POLL_EVERY /
                                              len(cookies), until, record))
                 for n, (cookie, (_, _, running)) in enumerate(zip(cookies, sessions, strict=True))]
        await asyncio.sleep(warmup)
        cpu_start, offset, wall_start = cpu_seconds(web), access_log.stat().st_size, time.monotonic()
        await asyncio.sleep(seconds)
        cpu, end, wall = cpu_seconds(web) - cpu_start, access_log.stat().st_size, time.monotonic() - wall_start
        await asyncio.gather(*tasks)
        return cpu, wall, offset, end

    cpu, wall, offset, end = asyncio.run(everyone())
    server_ms, statuses = _server_times(access_log, offset, r"^/imports/\?open=", end)
    polls = len(server_ms)
    stop.set()
    changer.join(10)
    return {"sessions": len(sessions), "window_s": round(wall, 1), "polls": polls,
            "polls_per_s": round(polls / wall, 1), "wanted_polls_per_s": round(len(sessions) / POLL_EVERY, 1),
            "web_cpu_s": round(cpu, 2), "web_cores": round(cpu / wall, 3),
            "web_cpu_ms_per_poll": round(1000 * cpu / max(1, polls), 2),
            "cores_at_wanted_rate": round(cpu / max(1, polls) * len(sessions) / POLL_EVERY, 3),
            "window_statuses": statuses, "errors": record["errors"], **_percentiles(server_ms, "poll_server"),
            **_percentiles(record["latencies"], "poll_latency")}


# --- running it -----------------------------------------------------------------------------------------------

def measure(env: dict, tmp: Path, parts: set[str], seconds: int) -> dict:
    with stack.app_context(env):
        sessions = insert_world()
    log_dir = tmp / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    pidfile, access_log = tmp / "gunicorn.pid", log_dir / "access.log"
    access_log.touch()
    genv = {**env, "GUNICORN_CMD_ARGS": f"--pid {pidfile}"}
    results: dict = {"probe_s": _cpu_probe(), "backoff": BACKOFF}
    with server.gunicorn("app:create_app()", genv, workers=2, log=log_dir / "gunicorn.log",
                         access_log=access_log, access_format=ACCESS_FORMAT) as base:
        web = memory._children(int(pidfile.read_text()))
        if "csv" in parts:
            with stack.app_context(env), job_processes(stack.Backend("polling", "small", env), log_dir, workers=1):
                results["csv"] = csv_polled(base, web, access_log)
        if "sessions" in parts:
            count = int(os.environ.get("BENCH_POLL_SESSIONS", SESSIONS))
            results["sessions"] = sessions_polling(base, web, env, sessions[:count], seconds, access_log)
    results["probe_end_s"] = _cpu_probe()
    return results


def _cpu_probe() -> float:
    from bench.run import _cpu_probe as probe

    return probe()


def run(tmp: Path, env: dict, database_url: str | None = None) -> dict:
    """Both parts on a fresh database (SQLite under `tmp` unless `database_url` names an empty one)."""
    parts = set(os.environ.get("BENCH_POLL_PARTS", "csv,sessions").split(","))
    seconds = int(os.environ.get("BENCH_POLL_SECONDS", "30"))
    tmp.mkdir(parents=True, exist_ok=True)
    env = {**env, "DATABASE_URL": database_url or f"sqlite:///{tmp}/polling.db"}
    stack.flask(env, "db", "upgrade")
    return {"database": env["DATABASE_URL"].split(":", 1)[0], "targets": TARGETS, **measure(env, tmp, parts, seconds)}


def print_summary(figures: dict) -> None:
    csv, sessions = figures.get("csv"), figures.get("sessions")
    print(f"\nMy imports' polling on {figures.get('database')} (targets {TARGETS})")
    if csv:
        print(f"  {csv['rows']:,}-row CSV import polled: upload to {csv['status']} {csv['upload_to_completed_s']} s; "
              f"poll server ms p50/p99/max {csv.get('poll_server_p50_ms')}/{csv.get('poll_server_p99_ms')}/"
              f"{csv.get('poll_server_max_ms')} ({csv['poll_statuses']}), CPU {csv['web_cpu_ms_per_poll']} ms a poll")
    if sessions:
        print(f"  {sessions['sessions']:,} sessions polling: {sessions['polls_per_s']} polls/s, web workers "
              f"{sessions['web_cores']} cores, CPU {sessions['web_cpu_ms_per_poll']} ms a poll "
              f"({sessions['window_statuses']}), {sessions['cores_at_wanted_rate']} cores at one poll per session "
              f"every {POLL_EVERY:g} s")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="canal-poll-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with stack.redis_server(tmp / "redis") as redis_url, stack.smtp_catcher() as (_handler, smtp_port):
            env = stack.base_env(tmp / "instance", redis_url, smtp_port)
            results = run(tmp, env, sys.argv[1] if len(sys.argv) > 1 else None)
    print(json.dumps(results, indent=2))
    print_summary(results)


if __name__ == "__main__":
    main()
