"""The main pages: SQL queries and time per page in-process, and throughput under wrk through gunicorn."""
from __future__ import annotations

import statistics
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from bench import load, server, session
from bench.datagen import BENCH_EMAIL
from bench.stack import Backend, make_app
from services.demo import DEMO_PASSWORD

STAFF_EMAIL = "bench-staff@distributor.test"
# name -> (path, who); the ids are reseller 1's (order 1 is approved, customer 1 has subscriptions).
PAGES = {
    "catalog search": ("/catalog/?q=office", "reseller"),
    "cart": ("/cart/", "reseller"),
    "licenses list": ("/licenses/", "reseller"),
    "order licenses": ("/licenses/orders/1", "reseller"),
    "my imports": ("/imports/", "reseller"),
    "customer page": ("/customers/1", "reseller"),
    "admin approvals": ("/admin/approvals", "staff"),
}
WORKERS = 2  # gunicorn workers, for Canal and for the ceiling alike
# Reference rows (bench/floor.py): Canal's hooks alone, and with the logged-in user loaded; no page.
FLOOR = {"floor: hooks only": "/bench/hooks", "floor: logged in": "/bench/logged-in"}
FLOOR_BYTES = 13000


def in_process(backends: dict[str, Backend], rounds: int = 6, repeat: int = 10) -> dict[str, dict[str, dict]]:
    """Per backend and page: SQL statements of one request and the median time (CPU and wall) of rounds x repeat
    requests (Flask test client). The backends take turns, round by round, so they see the same machine.

    The requests run outside any app context of ours, so each gets its own, as under gunicorn.
    """
    counters = {key: {"n": 0} for key in backends}
    clients = {key: _clients(backend, counters[key]) for key, backend in backends.items()}
    results: dict[str, dict[str, dict]] = {key: {} for key in backends}
    for name, (path, who) in PAGES.items():
        times: dict[str, list[float]] = {key: [] for key in backends}
        cpu: dict[str, list[float]] = {key: [] for key in backends}
        for key in backends:
            client = clients[key][who]
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{key}: {name}: {path} answered {response.status_code}")
            counters[key]["n"] = 0
            client.get(path)
            results[key][name] = {"queries": counters[key]["n"], "bytes": len(response.data)}
        for _ in range(rounds):
            for key in backends:
                client = clients[key][who]
                for _ in range(repeat):
                    start, start_cpu = time.perf_counter(), time.process_time()
                    client.get(path)
                    cpu[key].append((time.process_time() - start_cpu) * 1000)
                    times[key].append((time.perf_counter() - start) * 1000)
        for key in backends:
            # CPU time of this process: what the page costs, even with other work on the machine
            results[key][name]["median_ms"] = round(statistics.median(cpu[key]), 2)
            results[key][name]["wall_median_ms"] = round(statistics.median(times[key]), 2)
    return results


def _clients(backend: Backend, counter: dict) -> dict:
    """Logged-in test clients ("reseller", "staff"); `counter` counts every SQL statement of this app."""
    from models import User, db

    app = make_app(backend.env)
    clients = {}
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a, **k: counter.__setitem__("n", counter["n"] + 1))
        for who, email in (("reseller", BENCH_EMAIL), ("staff", STAFF_EMAIL)):
            user = db.session.scalar(sa.select(User).where(User.email == email))
            clients[who] = app.test_client()
            with clients[who].session_transaction() as sess:
                sess["_user_id"], sess["_fresh"] = user.get_id(), True
    return clients


def load_pages(backend: Backend, seconds: int, log: Path) -> dict[str, dict]:
    """wrk at 32 connections on every page through gunicorn, each followed at once by the bare Flask page of
    the same size served the same way (the ceiling), so both see the same machine (other work on it included)."""
    results = {}
    log.parent.mkdir(parents=True, exist_ok=True)
    with server.gunicorn("app:create_app()", backend.env, workers=WORKERS, log=log) as base:
        cookies = {"reseller": session.login_cookie(base, BENCH_EMAIL, DEMO_PASSWORD),
                   "staff": session.login_cookie(base, STAFF_EMAIL, DEMO_PASSWORD)}
        for name, (path, who) in PAGES.items():
            try:
                size = _size(base + path, cookies[who])
            except OSError as exc:
                raise RuntimeError(f"{name}: {exc}; gunicorn's log: {log.read_text()[-3000:]}") from exc
            page = _figures(_measure(base + path, cookies[who], seconds))
            with server.gunicorn("bench.ceiling:create_app()", {"CEILING_BYTES": str(size)}, workers=WORKERS,
                                 ready_path="/") as ceiling_base:
                ceiling = _figures(_measure(ceiling_base + "/", None, seconds))
            results[name] = _with_ceiling(page, size, ceiling)
    with server.gunicorn("bench.floor:create_app()", {**backend.env, "FLOOR_BYTES": str(FLOOR_BYTES)},
                         workers=WORKERS, log=log) as base:
        cookie = session.login_cookie(base, BENCH_EMAIL, DEMO_PASSWORD)
        for name, path in FLOOR.items():
            page = _figures(_measure(base + path, cookie, seconds))
            with server.gunicorn("bench.ceiling:create_app()", {"CEILING_BYTES": str(FLOOR_BYTES)}, workers=WORKERS,
                                 ready_path="/") as ceiling_base:
                ceiling = _figures(_measure(ceiling_base + "/", None, seconds))
            results[name] = _with_ceiling(page, FLOOR_BYTES, ceiling)
    return results


def _measure(url: str, cookie: str | None, seconds: int) -> load.LoadResult:
    """wrk after a one-second run that is not counted: every gunicorn worker has then compiled the page's
    templates (once per worker and language, as after a deploy), so the figures are the steady state."""
    load.run_wrk(url, cookie=cookie, seconds=1)
    return load.run_wrk(url, cookie=cookie, seconds=seconds)


def _with_ceiling(page: dict, size: int, ceiling: dict) -> dict:
    return {**page, "bytes": size, "ceiling_rps": ceiling["rps"], "ceiling_p99_ms": ceiling["p99_ms"],
            "ratio": round(page["rps"] / ceiling["rps"], 3) if ceiling["rps"] else 0.0}


def _figures(result: load.LoadResult) -> dict:
    return {"rps": round(result.requests_per_second, 1), "p50_ms": round(result.p50_ms, 2),
            "p99_ms": round(result.p99_ms, 2), "non_2xx": result.non_2xx, "errors": result.errors}


def _size(url: str, cookie: str) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 200 or not response.geturl().endswith(url.rsplit("/", 1)[-1]):
            raise RuntimeError(f"{url} answered {response.status}")
        return len(response.read())
