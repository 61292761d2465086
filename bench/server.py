"""Serve an app with gunicorn for the length of a `with` block."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app_spec: str, env: dict, workers: int = 2, ready_path: str = "/login", log: Path | None = None,
             access_log: Path | None = None, access_format: str | None = None):
    """`log`: where gunicorn's error log (with any traceback) goes; kept only on failure otherwise. `access_log`:
    where the access log goes, in `access_format` (gunicorn's atoms) if given."""
    port = free_port()
    args = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--access-logfile",
            str(access_log) if access_log else "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null", app_spec]
    if access_format:
        args[-1:-1] = ["--access-logformat", access_format]
    errors = open(log, "ab") if log else subprocess.PIPE  # noqa: SIM115 - closed below
    process = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env}, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=errors)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base + ready_path, process)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
        if log:
            errors.close()


def _wait_ready(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url}")
