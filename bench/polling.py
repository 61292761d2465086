"""Benchmark (not a test): My imports' polling through gunicorn (2 sync workers), as htmx polls it.

- `csv`: a 20,000-row CSV import uploaded and run by a `flask jobs worker` while My imports is open with that
  import expanded: POLL_TABS tabs poll the table's URL every 2 s as htmx does (HX headers, the ETag they were
  given sent back in If-None-Match), staggered. Upload to COMPLETED; each poll's server time (gunicorn's access
  log, %(D)s) and its latency at the client, p50/p99/max; the web workers' CPU per poll.
- `sessions`: SESSIONS reseller sessions with My imports open, polling while their imports run. The web workers'
  CPU (utime + stime from /proc) per poll, measured with wrk on one session's poll: sent with the ETag it was
  given (nothing changed: 304), and with that ETag once its running import has moved (that import's rows are
  sent, the table stays); without an ETag (the whole table) for comparison; then the polls SESSIONS sessions send, each
  every 2 s and spaced out by static/canal.js while answered 304, with CHANGING of their running imports moving
  every 2 s (simulate()), times those costs: the cores their polling takes. Target: under a quarter of one.
  (A Python load generator for 1,000 sessions falls far short of 500 polls/s on a busy 2-core machine: wrk
  measures the cost, the client's own schedule the rate.)

Standalone: `.venv/bin/python -m bench.polling [database-url]` (a fresh SQLite database by default; a
PostgreSQL URL names an empty database). BENCH_POLL_PARTS=csv,sessions picks parts; BENCH_POLL_SECONDS
(default 15) is each wrk run's length. The figures depend on the machine: run old and new code in turns.
"""
from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from bench import csv_import, load, memory, server, stack
from bench.background import job_processes
from bench.datagen import BENCH_EMAIL
from services.demo import DEMO_PASSWORD

CSV_ROWS = 20_000
POLL_EVERY = 2.0
POLL_TABS = 5          # staggered tabs on the CSV import: more polls to take percentiles of
SESSIONS = 1_000
CHANGING = 0.10        # share of the running imports whose counters move every POLL_EVERY
CHANGING_TOO = (0.0, 0.01, 0.02, 0.05, CHANGING, 0.5)
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


def next_poll(status: int, level: int, moved: bool = True) -> tuple[float | None, int]:
    """What the browser does after a poll's answer (htmx and static/canal.js): how long until the next poll (None:
    it stops, 286) and the polling region's new level. A 304 moves the level up one (3 at most), an answer with only
    the moved rows (`moved`) down one; a whole table starts a new region at 0. The wait is POLL_EVERY at levels 0
    and 1, then twice and four times it."""
    if status == 286:
        return None, 0
    if not BACKOFF:
        return POLL_EVERY, 0
    if status == 304:
        level = min(level + 1, 3)
    else:
        level = max(level - 1, 0) if moved else 0
    return POLL_EVERY * 2 ** max(level - 1, 0), level


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

POLL_URL = re.compile(r'data-poll hx-get="([^"]+)"')


def poll_path(html: str, open_id: int) -> str | None:
    """The path htmx polls on a My imports table (its hx-get, with the open row that hx-include adds)."""
    match = POLL_URL.search(html)
    return f"{match.group(1).replace('&amp;', '&')}&open={open_id}" if match else None


class Tab(threading.Thread):
    """One browser tab with My imports open and the import expanded: a poll every POLL_EVERY, as htmx sends it (the
    table's hx-get, taken again from each table it is sent)."""

    def __init__(self, base: str, cookie: str, path: str, delay: float, stop: threading.Event, open_id: int):
        super().__init__(daemon=True)
        self.base, self.cookie, self.path, self.delay, self.stop = base, cookie, path, delay, stop
        self.open_id = open_id
        self.etag, self.latencies, self.statuses, self.level = None, [], {}, 0

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
                    moved = response.headers.get("HX-Reswap") == "none"
                    self.path = poll_path(response.read().decode(), self.open_id) or self.path
            except urllib.error.HTTPError as exc:  # 304 arrives as an error in urllib
                status, etag, moved = exc.code, exc.headers.get("ETag"), False
            self.latencies.append((time.perf_counter() - start) * 1000)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.etag = etag or self.etag
            wait, self.level = next_poll(status, self.level, moved)
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
    with opener.open(preview_url + "/run", data=form, timeout=60) as progress:
        import_id = int(re.search(r"/imports/(\d+)/file", progress.geturl()).group(1))
    offset, cpu_before = access_log.stat().st_size, cpu_seconds(web)  # the polls' alone
    stop = threading.Event()
    tabs = [Tab(base, cookie, f"/imports/?open={import_id}", n * POLL_EVERY / POLL_TABS, stop, import_id)
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
    server_ms, statuses = _server_times(access_log, offset, r"^/imports/\?")
    latencies = [ms for tab in tabs for ms in tab.latencies]
    return {"rows": CSV_ROWS, "status": status, "completed": completed, "failed": failed,
            "upload_to_completed_s": round(done - start, 1), "poll_statuses": statuses,
            **_percentiles(server_ms, "poll_server"), **_percentiles(latencies, "poll_latency"),
            "web_cpu_s": round(cpu, 2), "web_cpu_ms_per_poll": round(1000 * cpu / max(1, len(server_ms)), 2)}


# --- part 2: many sessions polling ----------------------------------------------------------------------------

def session_cookie(env: dict, user_id: int, token: str) -> str:
    """A signed session cookie as a login leaves it (a thousand logins would measure the password hash)."""
    app = stack.make_app(env)
    now = int(time.time())
    return f"{app.config['SESSION_COOKIE_NAME']}=" + app.session_interface.get_signing_serializer(app).dumps(
        {"_user_id": f"{user_id}:{token}", "_fresh": True, "_started": now, "_seen": now})


def cpu_per_poll(base: str, web: list[int], access_log: Path, cookie: str, path: str, seconds: int,
                 etag: str | None, pattern: str = r"^/imports/\?") -> dict:
    """wrk (4 connections: the workers are not kept waiting, nor made to queue) on one session's poll, with
    `etag` in If-None-Match or none: the web workers' CPU per poll answered, and how the polls were answered."""
    headers = [*(f"{k}: {v}" for k, v in HX.items()), *([f"If-None-Match: {etag}"] if etag else [])]
    args = [load.wrk_path(), "-t1", "-c4", f"-d{seconds}s", "--latency", "-s", str(load.BROWSER),
            "-H", f"User-Agent: {load.USER_AGENT}", "-H", f"Cookie: {cookie}"]
    for header in headers:
        args += ["-H", header]
    offset, cpu = access_log.stat().st_size, cpu_seconds(web)
    subprocess.run(args + [base + path], capture_output=True, check=True, timeout=seconds + 60)
    cpu = cpu_seconds(web) - cpu
    server_ms, statuses = _server_times(access_log, offset, pattern)
    return {"polls": len(server_ms), "statuses": statuses, "cpu_ms_per_poll": round(1000 * cpu / len(server_ms), 3),
            **_percentiles(server_ms, "server")}


def simulate(sessions: int, backoff: bool, changing: float = CHANGING, seconds: float = 600, warmup: float = 60,
             seed: int = 5) -> dict:
    """The polls `sessions` open My imports send (htmx every POLL_EVERY, spaced out by static/canal.js as next_poll
    says when `backoff`) while each one's running import moves at CHANGING of the POLL_EVERY ticks: polls per second
    answered 200 and 304 in the steady state, and how long after an import moved its tab showed it (p50, p99)."""
    rnd = random.Random(seed)
    answered, shown_after = {200: 0, 304: 0}, []
    for _ in range(sessions):
        at, tick, version, seen, level, moved_at = rnd.uniform(0, POLL_EVERY), 0, 0, 0, 0, None
        while at < warmup + seconds:
            while (tick + 1) * POLL_EVERY <= at:
                tick += 1
                if rnd.random() < changing:
                    version += 1
                    moved_at = tick * POLL_EVERY if moved_at is None else moved_at
            status = 304 if backoff and version == seen else 200
            if at >= warmup:
                answered[status] += 1
            if version != seen:  # this poll shows the move
                if at >= warmup:
                    shown_after.append(at - moved_at)
                seen, moved_at = version, None
            wait, level = next_poll(status, level) if backoff else (POLL_EVERY, 0)
            at += wait
    shown_after.sort()
    return {**{f"polls_{status}_per_s": round(count / seconds, 1) for status, count in answered.items()},
            **({"shown_after_p50_s": round(statistics.median(shown_after), 1),
                "shown_after_p99_s": round(shown_after[int(len(shown_after) * 0.99)], 1)} if shown_after else {})}


def sessions_polling(base: str, web: list[int], env: dict, session: tuple[int, str, int], seconds: int,
                     access_log: Path) -> dict:
    """CPU per poll answered 304 and per poll after the session's running import moved (one session, wrk), and what
    SESSIONS sessions then cost the web workers with the polls they send (simulate()). A moved import's poll names
    the version from before the move, as the tab's does: only that import's rows are sent (the table's rows are the
    same); a poll that names no version gets the whole table (`table_poll`, what a change of the rows listed costs:
    an import started or finished)."""
    user_id, token, running = session
    cookie = session_cookie(env, user_id, token)
    request = urllib.request.Request(base + f"/imports/?open={running}",
                                     headers={**HX, "Cookie": cookie, "User-Agent": load.USER_AGENT})
    with urllib.request.urlopen(request, timeout=30) as response:
        etag, path = response.headers.get("ETag"), poll_path(response.read().decode(), running)
    unchanged = cpu_per_poll(base, web, access_log, cookie, path, seconds, etag or '"none"')
    table = cpu_per_poll(base, web, access_log, cookie, path, seconds, None)
    with stack.app_context(env):  # the running import moves: the tab's version is the one before
        from models import Import, db

        db.session.execute(sa.update(Import).where(Import.id == running)
                           .values(completed_count=Import.completed_count + 1))
        db.session.commit()
    changed = cpu_per_poll(base, web, access_log, cookie, path, seconds, etag or '"none"')
    backoff = BACKOFF and unchanged["statuses"].get("304", 0) > 0
    figures = {"unchanged_poll": unchanged, "changed_poll": changed, "table_poll": table, "sessions": SESSIONS,
               "changing": CHANGING, "backoff": backoff}
    for changing in CHANGING_TOO:  # how the cost follows the share of imports that move
        rates = simulate(SESSIONS, backoff, changing)
        cores = (rates["polls_304_per_s"] * unchanged["cpu_ms_per_poll"]
                 + rates["polls_200_per_s"] * changed["cpu_ms_per_poll"]) / 1000
        figures.setdefault("by_changing", {})[f"{changing:.0%}"] = {**rates, "web_cores": round(cores, 3)}
    figures.update(figures["by_changing"][f"{CHANGING:.0%}"])
    return figures


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
            results["sessions"] = sessions_polling(base, web, env, sessions[3], seconds, access_log)
    if "sessions" in parts:  # the floor: a page that only logs the user in (bench/floor.py), served the same way
        with server.gunicorn("bench.floor:create_app()", {**genv, "FLOOR_BYTES": "40"}, workers=2,
                             log=log_dir / "gunicorn.log", access_log=access_log, access_format=ACCESS_FORMAT) as base:
            user_id, token, _running = sessions[3]
            results["floor_logged_in"] = cpu_per_poll(base, memory._children(int(pidfile.read_text())), access_log,
                                                      session_cookie(env, user_id, token), "/bench/logged-in",
                                                      seconds, None, r"^/bench/logged-in")
    results["probe_end_s"] = _cpu_probe()
    return results


def _cpu_probe() -> float:
    from bench.run import _cpu_probe as probe

    return probe()


def run(tmp: Path, env: dict, database_url: str | None = None) -> dict:
    """Both parts on a fresh database (SQLite under `tmp` unless `database_url` names an empty one)."""
    parts = set(os.environ.get("BENCH_POLL_PARTS", "csv,sessions").split(","))
    seconds = int(os.environ.get("BENCH_POLL_SECONDS", "15"))
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
    if figures.get("floor_logged_in"):
        print(f"  the floor, a page that only logs the user in: CPU {figures['floor_logged_in']['cpu_ms_per_poll']} ms")
    if sessions:
        unchanged, changed = sessions["unchanged_poll"], sessions["changed_poll"]
        print(f"  a poll answered 304: CPU {unchanged['cpu_ms_per_poll']} ms ({unchanged['statuses']}); "
              f"after its import moved: {changed['cpu_ms_per_poll']} ms ({changed['statuses']}); "
              f"with the whole table: {sessions['table_poll']['cpu_ms_per_poll']} ms")
        print(f"  {sessions['sessions']:,} sessions, {sessions['changing']:.0%} of their imports moving every "
              f"{POLL_EVERY:g} s: {sessions['polls_200_per_s']} polls/s with the table and "
              f"{sessions['polls_304_per_s']} answered 304, {sessions['web_cores']} cores; a move shows after "
              f"{sessions.get('shown_after_p50_s')} s (p50), {sessions.get('shown_after_p99_s')} s (p99)")
        print("  cores by share of imports moving every 2 s: " + ", ".join(
            f"{share} {rates['web_cores']}" for share, rates in sessions["by_changing"].items()))


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
