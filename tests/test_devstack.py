"""`flask dev` starts the whole stack, and Ctrl-C leaves no process behind."""
import json
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from devstack import mailbox
from tests.support import free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


def stack_is_up(port: int) -> dict | None:
    """The health report once a worker and the scheduler have registered in Redis."""
    status, body = get(f"http://127.0.0.1:{port}/ops/health")
    report = json.loads(body) if status == 200 else {}
    return report if report.get("workers") and report.get("scheduler_alive") else None


def test_flask_dev_runs_everything_and_ctrl_c_stops_it_all():
    instance = tempfile.mkdtemp(prefix="canal-dev-")
    port, mail_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "SECRET_KEY", "CANAL_ENV")}
    env.update(CANAL_INSTANCE_PATH=instance, PORT=str(port), MAIL_PORT=str(mail_port))
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    for args in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run(flask + args, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)

    dev = subprocess.Popen(flask + ["dev"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    try:
        wait_for(lambda: get(f"http://127.0.0.1:{port}/login")[0] == 200, timeout=60)
        health = wait_for(lambda: stack_is_up(port), timeout=30)
        assert health["redis"] == "ok" and health["database"] == "ok"
        assert Path(instance, "redis", "redis.sock").exists()  # the embedded Redis, on a unix socket

        # The mail catcher is listening and writes what it gets where /ops/mail reads it.
        with smtplib.SMTP("127.0.0.1", mail_port, timeout=5) as smtp:
            smtp.sendmail("a@x.test", ["b@x.test"], b"Subject: hello catcher\r\n\r\nbody\r\n")
        messages = wait_for(lambda: mailbox.list_messages(Path(instance, "mail")), timeout=10)
        assert messages[0].subject == "hello catcher"

        processes = descendants(dev.pid)
        assert len(processes) >= 5  # redis, mail catcher, worker, scheduler, web
        dev.send_signal(signal.SIGINT)  # what Ctrl-C sends
        output, _ = dev.communicate(timeout=60)
        assert "reseller@demo.test" in output and f"http://127.0.0.1:{port}" in output
        wait_for(lambda: not any(alive(pid) for pid in processes), timeout=15)
    finally:
        for pid in descendants(dev.pid) | {dev.pid}:  # on failure, leave nothing running either
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
