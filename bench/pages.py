"""The main pages: SQL queries and time per page in-process, and throughput under wrk through gunicorn."""
from __future__ import annotations

import statistics
import time
import urllib.request
from contextlib import ExitStack
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


def in_process(backend: Backend, repeat: int = 30) -> dict[str, dict]:
    """Per page: SQL statements of one request and the median time of `repeat` requests (test client).

    The requests run outside any app context of ours, so each gets its own, as under gunicorn.
    """
    from models import User, db

    app = make_app(backend.env)
    counter = {"n": 0}
    clients = {}
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a, **k: counter.__setitem__("n", counter["n"] + 1))
        for who, email in (("reseller", BENCH_EMAIL), ("staff", STAFF_EMAIL)):
            user = db.session.scalar(sa.select(User).where(User.email == email))
            clients[who] = app.test_client()
            with clients[who].session_transaction() as sess:
                sess["_user_id"], sess["_fresh"] = user.get_id(), True
    results = {}
    for name, (path, who) in PAGES.items():
        client = clients[who]
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{name}: {path} answered {response.status_code}")
        counter["n"] = 0
        client.get(path)
        queries = counter["n"]
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - start) * 1000)
        results[name] = {"queries": queries, "median_ms": round(statistics.median(times), 2),
                         "bytes": len(response.data)}
    with app.app_context():
        db.engine.dispose()
    return results


def load_pages(backend: Backend, seconds: int, log: Path) -> dict[str, dict]:
    """wrk at 32 connections on every page, through gunicorn (its error log goes to `log`)."""
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
            result = load.run_wrk(base + path, cookie=cookies[who], seconds=seconds)
            results[name] = {**_figures(result), "bytes": size}
    return results


def add_ratios(results: dict[str, dict], ceilings: dict[str, dict]) -> None:
    for name, result in results.items():
        result["ceiling_rps"] = ceilings[name]["rps"]
        result["ratio"] = round(result["rps"] / ceilings[name]["rps"], 3) if ceilings[name]["rps"] else None


def measure_ceilings(sizes: dict[str, int], seconds: int) -> dict[str, dict]:
    """The bare Flask page of each page's HTML size, served by gunicorn the same way."""
    results = {}
    for name, size in sizes.items():
        with ExitStack() as stack:
            base = stack.enter_context(server.gunicorn("bench.ceiling:create_app()", {"CEILING_BYTES": str(size)},
                                                       workers=WORKERS, ready_path="/"))
            results[name] = {**_figures(load.run_wrk(base + "/", seconds=seconds)), "bytes": size}
    return results


def _figures(result: load.LoadResult) -> dict:
    return {"rps": round(result.requests_per_second, 1), "p50_ms": round(result.p50_ms, 2),
            "p99_ms": round(result.p99_ms, 2), "non_2xx": result.non_2xx, "errors": result.errors}


def _size(url: str, cookie: str) -> int:
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 200 or not response.geturl().endswith(url.rsplit("/", 1)[-1]):
            raise RuntimeError(f"{url} answered {response.status}")
        return len(response.read())
