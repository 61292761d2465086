"""Memory: the resident size (VmRSS) of a gunicorn web worker and of an RQ worker under load; it must stay bounded.

Two phases on one backend, with gunicorn (2 workers) and one `flask jobs worker` running throughout:
- mixed load for BENCH_MEMORY_SECONDS (default 45; 1800 gives the full 30 minutes): wrk on every main page in
  turn while small batches of due imports keep the RQ worker busy;
- a 20,000-row CSV import uploaded, previewed and run through gunicorn, the RQ worker running it.
A sampler reads VmRSS in /proc/<pid>/status (every second under the mixed load, every 0.1 s during the import,
which takes seconds): each web worker, the RQ worker and its work horse (the forked child that runs a job).
Figures in MB: the first and last sample and the peak; under the mixed load `bounded` (the peak of the second
half is at most 10 % above the first half's: growth that does not level off is a leak); at the end each
long-lived process's VmHWM (its peak resident size over the whole run, between samples too).
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from bench import background, csv_import, load, pages, server
from bench.datagen import BENCH_EMAIL
from bench.stack import Backend, app_context
from services.demo import DEMO_PASSWORD

CSV_ROWS = 20_000
SAMPLE_EVERY = 1.0
SAMPLE_EVERY_CSV = 0.1
DUE_BATCH = 200      # due imports added every DUE_EVERY seconds of the mixed load
DUE_EVERY = 10.0
WRK_SECONDS = 5      # each page's turn


def seconds() -> int:
    return int(os.environ.get("BENCH_MEMORY_SECONDS", "45"))


def measure(backend: Backend, log_dir: Path, duration: int | None = None) -> dict:
    duration = duration or seconds()
    log_dir.mkdir(parents=True, exist_ok=True)
    pidfile = Path(tempfile.mkdtemp(prefix="canal-mem-")) / "gunicorn.pid"
    env = {**backend.env, "GUNICORN_CMD_ARGS": f"--pid {pidfile}"}
    with app_context(backend.env):
        background._flush_redis()
        with server.gunicorn("app:create_app()", env, workers=pages.WORKERS, log=log_dir / "gunicorn.log") as base, \
                background.job_processes(backend, log_dir, workers=1):
            web = _children(int(pidfile.read_text()))
            rq_worker = _rq_worker_pid()
            with _sampler(web, rq_worker, SAMPLE_EVERY) as mixed:
                served = _mixed_load(base, duration)
            with _sampler(web, rq_worker, SAMPLE_EVERY_CSV) as during_csv:
                csv = _csv_import(base)
            peaks = {f"web worker {n + 1}": _hwm_mb(pid) for n, pid in enumerate(web)}
            peaks["rq worker"] = _hwm_mb(rq_worker)
        background._flush_redis()
    return {"backend": backend.name, "mixed_load_s": duration, "mixed_load": {**served, **_summary(mixed, True)},
            "csv_import": {**csv, **_summary(during_csv)}, "peak_over_the_run_mb": peaks}


# --- sampling ------------------------------------------------------------------------------------------------

def rss_mb(pid: int, field: str = "VmRSS") -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.M)
    return round(int(match.group(1)) / 1024, 1) if match else None


def _hwm_mb(pid: int) -> float | None:
    return rss_mb(pid, "VmHWM")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _rq_worker_pid() -> int:
    from rq import Worker

    from queues import get_redis

    return Worker.all(connection=get_redis())[0].pid


@contextmanager
def _sampler(web: list[int], rq_worker: int, every: float):
    """Samples {"web worker <n>": [...], "rq worker": [...], "work horse": [...]} (MB) while the block runs."""
    samples: dict[str, list[float]] = {f"web worker {n + 1}": [] for n in range(len(web))}
    samples.update({"rq worker": [], "work horse": []})
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(every):
            for n, pid in enumerate(web):
                if (mb := rss_mb(pid)) is not None:
                    samples[f"web worker {n + 1}"].append(mb)
            if (mb := rss_mb(rq_worker)) is not None:
                samples["rq worker"].append(mb)
            horses = [mb for pid in _children(rq_worker) if (mb := rss_mb(pid)) is not None]
            if horses:
                samples["work horse"].append(max(horses))

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join(5)


def _summary(samples: dict[str, list[float]], bounded: bool = False) -> dict:
    figures = {}
    for name, values in samples.items():
        if not values:
            continue
        figures[name] = {"first_mb": values[0], "last_mb": values[-1], "peak_mb": max(values), "samples": len(values)}
        if bounded:
            half = len(values) // 2
            figures[name]["bounded"] = max(values[half:]) <= 1.1 * max(values[:half] or values)
    return figures


# --- the mixed load ------------------------------------------------------------------------------------------

def _mixed_load(base: str, duration: int) -> dict:
    """wrk on each main page in turn (WRK_SECONDS each) until `duration` is over; due imports every DUE_EVERY s.
    Returns how much was served: requests (about), non-2xx answers and due imports added."""
    from bench import session

    cookies = {"reseller": session.login_cookie(base, BENCH_EMAIL, DEMO_PASSWORD),
               "staff": session.login_cookie(base, pages.STAFF_EMAIL, DEMO_PASSWORD)}
    deadline = time.monotonic() + duration
    next_due = time.monotonic()
    turns = [(path, who) for path, who in pages.PAGES.values()]
    served = {"requests": 0, "non_2xx": 0, "due_imports": 0}
    n = 0
    while (left := deadline - time.monotonic()) > 1:
        if time.monotonic() >= next_due:
            _due_imports(DUE_BATCH)
            served["due_imports"] += DUE_BATCH
            next_due = time.monotonic() + DUE_EVERY
        path, who = turns[n % len(turns)]
        turn = max(1, min(WRK_SECONDS, int(left)))
        result = load.run_wrk(base + path, cookie=cookies[who], seconds=turn)
        served["requests"] += int(result.requests_per_second * turn)
        served["non_2xx"] += result.non_2xx
        n += 1
    return served


def _due_imports(count: int) -> None:
    """`count` imports due now and their run (as rq-scheduler would enqueue it)."""
    from models import utcnow
    from queues import enqueue_unique
    from services.provisioning import provisioning

    run_at = utcnow().replace(microsecond=0) - timedelta(seconds=1)
    background._insert_due_imports(count, run_at)
    enqueue_unique("default", provisioning.RUN_DUE_JOB, job_id=f"bench-due-{uuid.uuid4().hex[:8]}",
                   job_timeout=provisioning.JOB_TIMEOUT)


# --- the CSV import through gunicorn -------------------------------------------------------------------------

def _csv_import(base: str) -> dict:
    """Upload, preview and run a 20,000-row customer file as a browser would; wait until it is COMPLETED."""
    opener = _logged_in(base)
    data = csv_import.generate_csv(CSV_ROWS, prefix=f"M{int(time.time()) % 100000}-")
    start = time.perf_counter()
    token = _csrf(opener.open(base + "/imports/upload", timeout=60).read().decode())
    body, content_type = _multipart({"csrf_token": token, "kind": "customers"}, "file", "clientes.csv", data)
    request = urllib.request.Request(base + "/imports/upload", data=body, headers={"Content-Type": content_type})
    with opener.open(request, timeout=300) as preview:  # the 303 to the preview is followed
        preview_url, html = preview.geturl(), preview.read().decode()
    if "/imports/uploads/" not in preview_url:
        raise RuntimeError(f"the upload was refused: {html[-2000:]}")
    form = urllib.parse.urlencode({"csrf_token": _csrf(html)}).encode()
    with opener.open(preview_url + "/run", data=form, timeout=60) as progress:
        import_id = int(re.search(r"/imports/(\d+)/file", progress.geturl()).group(1))
    status, completed, failed = csv_import._wait_completed(import_id, timeout=600)
    return {"rows": CSV_ROWS, "bytes": len(data), "status": status, "completed": completed, "failed": failed,
            "upload_to_completed_s": round(time.perf_counter() - start, 1)}


def _logged_in(base: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", load.USER_AGENT)]
    token = _csrf(opener.open(base + "/login", timeout=10).read().decode())
    opener.open(base + "/login", data=urllib.parse.urlencode(
        {"email": BENCH_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token}).encode(), timeout=10)
    return opener


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return match.group(1) if match else ""


def _multipart(fields: dict[str, str], name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
             for key, value in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
