"""Benchmark (not a test): a 10,000-row customer CSV from upload to COMPLETED, with a real RQ worker.

`run(base_dir)` runs inside an app context on a migrated database (bench/run.py calls it for each
backend); it uploads through the real views (test client: form, CSRF, multipart), opens the preview,
presses "Run import", and waits until a `flask jobs worker` process has finished the import.
Standalone: `.venv/bin/python -m bench.csv_import` (a fresh SQLite database and a private Redis).
"""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

ROWS = 10_000
TARGET_S = 20.0
ROOT = Path(__file__).resolve().parents[1]
FIRST = ["José", "María", "Ñandú", "Peña", "Nuñez", "Ibáñez", "Güemes", "Martín", "Lucía", "Óscar", "Inés"]
LAST = ["Peña", "Muñoz", "Gómez", "Fernández", "Añón", "Castaño", "Rodríguez", "Sáenz", "López", "Díaz"]
KINDS = ["S.A.", "S.R.L.", "Ltda.", "y Asociados", "Hermanos"]


def generate_csv(rows: int = ROWS, prefix: str = "B", seed: int = 11) -> bytes:
    """Customers with accented Spanish names, semicolon-delimited and in Windows-1252, as Excel saves them."""
    rnd = random.Random(seed)
    lines = ["code;name;email;domain;country;city;contact_name;phone"]
    for i in range(1, rows + 1):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        name = f'"{last}, {first} {rnd.choice(KINDS)}"' if i % 3 == 0 else f"{last} {first} {rnd.choice(KINDS)}"
        lines.append(f"{prefix}{i:06d};{name};admin{i}@empresa{i}.example;empresa{i}.example;UY;Montevideo;"
                     f"{first} {last};+598 2{i:07d}")
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def run(base_dir: str | Path) -> dict:
    """Upload -> preview -> Run import -> COMPLETED, timed; needs an app context. Returns the figures."""
    base_dir = Path(base_dir)
    base_dir.mkdir(parents=True, exist_ok=True)
    user = _bench_user()
    data = generate_csv(prefix=f"B{int(time.time()) % 100000}-")
    (base_dir / "customers-10000.csv").write_bytes(data)
    with _worker(_env(), base_dir):
        client = current_app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = user.get_id(), True
        start = time.perf_counter()
        token = _csrf(client.get("/imports/upload").text)
        response = client.post("/imports/upload", content_type="multipart/form-data",
                               data={"csrf_token": token, "kind": "customers", "file": (_io(data), "clientes.csv")})
        uploaded = time.perf_counter()
        assert response.status_code == 303, response.text[:2000]
        preview = client.get(response.headers["Location"])
        previewed = time.perf_counter()
        response = client.post(response.headers["Location"] + "/run", data={"csrf_token": _csrf(preview.text)})
        assert response.status_code == 303, response.text[:2000]
        import_id = int(re.search(r"/imports/(\d+)/file", response.headers["Location"]).group(1))
        started = time.perf_counter()
        status, completed, failed = _wait_completed(import_id)
        done = time.perf_counter()
    return {"rows": ROWS, "bytes": len(data), "upload_s": round(uploaded - start, 2),
            "preview_s": round(previewed - uploaded, 2), "run_s": round(done - started, 2),
            "upload_to_completed_s": round(done - start, 2), "status": status, "completed": completed,
            "failed": failed, "target_s": TARGET_S, "ok": status == "COMPLETED" and done - start < TARGET_S}


def _io(data: bytes):
    import io

    return io.BytesIO(data)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    return match.group(1) if match else ""


def _bench_user():
    """The bench user of the dataset (bench@reseller1.test), or a reseller and user made for this run."""
    from models import Reseller, Role, User, db
    from services.accounts.passwords import hash_password

    user = db.session.scalar(sa.select(User).where(User.email == "bench@reseller1.test"))
    if user is None:
        reseller = Reseller(name="CSV Bench S.A.", tax_id=f"30{int(time.time()):010d}")
        user = User(email=f"csv-bench-{int(time.time())}@reseller.test", name="CSV bench", role=Role.RESELLER,
                    reseller=reseller, password_hash=hash_password("csv bench password"))
        db.session.add_all([reseller, user])
        db.session.commit()
    return user


def _env() -> dict[str, str]:
    config = current_app.config
    return {"CANAL_INSTANCE_PATH": current_app.instance_path, "DATABASE_URL": config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": config["REDIS_URL"], "SECRET_KEY": config["SECRET_KEY"]}


@contextmanager
def _worker(env: dict[str, str], log_dir: Path):
    """One real `flask jobs worker default` (forking, as in production), ready when the block starts."""
    from rq import Worker

    from queues import get_redis

    with open(log_dir / "worker.log", "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "jobs", "worker", "default"],
                                   cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not any(w.pid == process.pid for w in Worker.all(connection=get_redis())):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the worker did not start; see {log_dir / 'worker.log'}")
                time.sleep(0.1)
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(20)


def _wait_completed(import_id: int, timeout: float = 300) -> tuple[str, int, int]:
    from models import Import, db

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        imp = db.session.get(Import, import_id)
        if not imp.is_active:
            return imp.status.value, imp.completed_count, imp.failed_count
        time.sleep(0.05)
    raise RuntimeError(f"import {import_id} did not finish within {timeout} s")


def main() -> None:
    """A private Redis and a fresh SQLite database under a temp dir (or the empty database given as the
    argument, e.g. postgresql://postgres@127.0.0.1/canal_csv_bench), then run() once."""
    from flask_migrate import upgrade

    from app import create_app
    from config import normalise_database_url
    from devstack import redis_server

    with tempfile.TemporaryDirectory(prefix="canal-csv-bench-") as tmp:
        process, redis_url = redis_server.start(Path(tmp) / "redis")
        try:
            os.environ["CANAL_INSTANCE_PATH"] = tmp
            url = normalise_database_url(sys.argv[1]) if len(sys.argv) > 1 else f"sqlite:///{tmp}/canal.db"
            app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url, "SECRET_KEY": "csv-bench"})
            with app.app_context():
                upgrade()
                figures = run(tmp)
            width = max(map(len, figures))
            for key, value in figures.items():
                print(f"{key:<{width}}  {value}")
        finally:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    main()
