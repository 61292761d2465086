"""Drill helpers: `flask jobs ...` subprocesses, a vendor bridge that can hold a call, counting helpers."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlalchemy as sa

from models import Import, ImportItem, OutboxEmail, Subscription, db, utcnow
from services.connectors.http import signature_valid
from tests.support import mail_text

ROOT = Path(__file__).resolve().parents[2]
BRIDGE_SECRET = "drill-bridge-secret"
COMPLETED_SUBJECT = "Your import is completed"


# --- the vendor bridge ---------------------------------------------------------------------------

class HoldingBridge:
    """A vendor bridge (the http connector's other side) whose first `provision` call (or the `hold_at`-th)
    blocks until `release()`: the test knows the job is mid-run and can kill whatever it likes at that moment."""

    def __init__(self, hold_first: bool = True, hold_at: int = 1):
        self.entered = threading.Event()
        self.released = threading.Event()
        self.hold_first = hold_first
        self.provisions: list[str] = []   # idempotency keys, in arrival order
        self.lock = threading.Lock()
        bridge = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server API)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if not signature_valid(BRIDGE_SECRET, self.headers.get("X-Canal-Timestamp", ""), body,
                                       self.headers.get("X-Canal-Signature", "")):
                    return self._answer(401, {"error": "bad signature"})
                payload = json.loads(body)
                if payload["action"] == "validate":
                    return self._answer(200, {"reasons": []})
                key = self.headers["Idempotency-Key"]
                with bridge.lock:
                    bridge.provisions.append(key)
                    first = len(bridge.provisions) == hold_at
                if first and bridge.hold_first:
                    bridge.entered.set()
                    bridge.released.wait(60)
                return self._answer(200, {"external_id": f"sub-{key}"})  # same key, same subscription

            def _answer(self, status, payload):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the caller was killed while we held it

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/vendor"

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


# --- processes -----------------------------------------------------------------------------------

def process_env(app, smtp_port: int, bridge_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=app.config["REDIS_URL"],
               SECRET_KEY=app.config["SECRET_KEY"], MAIL_SERVER="127.0.0.1", MAIL_PORT=str(smtp_port))
    if bridge_url:
        env.update(CONNECTOR="http", CONNECTOR_URL=bridge_url, CONNECTOR_SECRET=BRIDGE_SECRET)
    return env


class Processes:
    """`flask jobs ...` subprocesses, each the leader of its own process group; all killed at the end."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        self.env, self.log_dir, self.started = env, log_dir, []

    def start(self, *args: str) -> subprocess.Popen:
        with open(self.log_dir / f"{'-'.join(args)}-{len(self.started)}.log", "wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "jobs", *args], cwd=ROOT,
                                       env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.log_dir.glob("*.log"))

    def stop_all(self) -> None:
        for process in self.started:
            kill_session(process.pid)  # with any work horse, orphaned or not (it has its own group)
            process.wait(10)


def kill_session(sid: int) -> None:
    """SIGKILL every process of the session (what stopping a container or a systemd unit does).

    An RQ work horse calls setpgrp(), so killing the worker's process group alone spares it."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[3]) == sid:  # fields after the name: state, ppid, pgrp, session
            try:
                os.kill(int(stat.parent.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_gone(pid: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while alive(pid):
        assert time.monotonic() < deadline, f"process {pid} still running after {timeout} s"
        time.sleep(0.05)


def lapse_lease(import_id: int) -> None:
    """The import's lease ran out (stored a second ago), as it does a lease's length after its worker died."""
    lapsed = utcnow() - timedelta(seconds=1)
    db.session.execute(sa.update(Import).where(Import.id == import_id).values(lease_until=lapsed))
    db.session.commit()


# --- counting ------------------------------------------------------------------------------------

def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def subscriptions_per_item() -> Counter:
    db.session.expire_all()
    return Counter(db.session.scalars(sa.select(Subscription.import_item_id)))


def items_of(import_ids) -> list[int]:
    return list(db.session.scalars(sa.select(ImportItem.id).where(ImportItem.import_id.in_(import_ids))))


def statuses(import_ids) -> Counter:
    db.session.expire_all()
    return Counter(s.value for s in db.session.scalars(sa.select(Import.status).where(Import.id.in_(import_ids))))


def completion_mails(smtp) -> Counter:
    """How often each import's completion e-mail was received, by (recipient, import name)."""
    received = Counter()
    for message in smtp.messages:
        if message["Subject"] == COMPLETED_SUBJECT:
            name = next(line for line in mail_text(message).splitlines() if line.startswith("Import: "))
            received[(message["To"], name.removeprefix("Import: "))] += 1
    return received


def outbox_for(import_ids) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxEmail).where(
        OutboxEmail.related_type == "Import", OutboxEmail.related_id.in_(import_ids))))
