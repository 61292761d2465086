"""Background work with the real processes: due imports, license assignment, activation e-mails, CSV import."""
from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import time
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from bench.stack import Backend, app_context, flask

DUE_IMPORTS = 10_000
DUE_IMPORTS_PG = 100_000  # PostgreSQL also runs this many, due in the same second (issue 20: all done within 30 s)
ASSIGN_LICENSES = 10_000
EMAILS = 1_000
BENCH_USER_ID = 2  # bench@reseller1.test


@contextmanager
def job_processes(backend: Backend, log_dir: Path, workers: int = 2, scheduler: bool = False):
    """`flask jobs worker` x N (and `flask jobs scheduler --interval 1`), ready when the block starts."""
    log_dir.mkdir(parents=True, exist_ok=True)
    commands = [("worker", ["jobs", "worker"])] * workers
    if scheduler:
        commands.append(("scheduler", ["jobs", "scheduler", "--interval", "1"]))
    processes = []
    try:
        for n, (kind, args) in enumerate(commands):
            log = open(log_dir / f"{kind}-{n}.log", "ab")  # noqa: SIM115 - closed with the process
            processes.append((flask(backend.env, *args, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True), log))
        _wait_for_workers(workers)
        yield [process.pid for process, _log in processes[:workers]]
    finally:
        for process, _log in processes:
            process.terminate()
        for process, log in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
            log.close()


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU of these processes and of their children (RQ's work horses), ended or running."""
    ticks = 0
    for pid in pids:
        ticks += sum(_stat(pid)[n] for n in (11, 12, 13, 14))  # utime stime, and cutime cstime: children ended
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            try:
                ticks += sum(_stat(int(child))[n] for n in (11, 12))
            except FileNotFoundError:
                pass  # it ended meanwhile: its time went to cutime, read above or not at all (a few ticks)
    return ticks / os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[int]:
    return [int(field) if field.lstrip("-").isdigit() else 0
            for field in Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()]


def _wait_for_workers(count: int, timeout: float = 60) -> None:
    from rq import Worker

    from queues import get_redis

    deadline = time.monotonic() + timeout
    while len(Worker.all(connection=get_redis())) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("the RQ workers did not start; see their logs")
        time.sleep(0.2)


def _flush_redis() -> None:
    from queues import get_redis

    get_redis().flushdb()


# --- 10,000 imports due in the same second -------------------------------------------------------

def due_imports(backend: Backend, log_dir: Path, count: int = DUE_IMPORTS, lead: float = 12.0) -> dict:
    """Schedule `count` imports for one second (one rq-scheduler job, as the wizard does), then wait.

    The rows are inserted first and given their second afterwards, so however long inserting takes, the workers
    start `lead` seconds before it (100,000 rows take longer to insert than the lead)."""
    from models import utcnow
    from queues import schedule_at
    from services.provisioning import provisioning

    with app_context(backend.env):
        _flush_redis()
        first_id = _insert_due_imports(count, utcnow() + timedelta(days=1))
        run_at = (utcnow() + timedelta(seconds=lead)).replace(microsecond=0)
        _set_run_at(first_id, run_at)
        schedule_at(run_at - provisioning.DUE_RUN_LEAD, "default", provisioning.RUN_DUE_JOB, run_at,
                    job_id=provisioning.due_job_id(run_at), timeout=provisioning.JOB_TIMEOUT)  # as schedule_import
        with job_processes(backend, log_dir / f"due-imports-{count}", workers=2, scheduler=True) as workers:
            cpu_before = _cpu_seconds(workers)
            done_at = _wait_until_done(first_id, count, run_at, timeout=lead + 180 + count / 250)
            cpu = _cpu_seconds(workers) - cpu_before
        result = _lateness(first_id, run_at)
        # The workers' CPU (their work horses' included) per import: unlike the lateness, not much moved by
        # whatever else the machine runs meanwhile. A worker out of imports sends e-mails: counted too.
        result["workers_cpu_ms_per_import"] = round(cpu / count * 1000, 3)
        result["all_done_after_run_at_s"] = round((done_at - run_at).total_seconds(), 2)
        _flush_redis()
    return result


def _set_run_at(first_id: int, run_at) -> None:
    from models import Import, db

    db.session.execute(sa.update(Import).where(Import.id >= first_id).values(run_at=run_at))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text('VACUUM ANALYZE "import"' if conn.dialect.name == "postgresql" else 'ANALYZE "import"'))


def _insert_due_imports(count: int, run_at) -> int:
    from models import Customer, Import, ImportItem, Reseller, db, utcnow

    resellers = db.session.scalar(sa.select(sa.func.count(Reseller.id)))
    per = db.session.scalar(sa.select(sa.func.count(Customer.id))) // resellers
    first = (db.session.scalar(sa.select(sa.func.max(Import.id))) or 0) + 1
    first_item = (db.session.scalar(sa.select(sa.func.max(ImportItem.id))) or 0) + 1
    now = utcnow()
    imports, items = [], []
    for n in range(count):
        reseller = n % resellers + 1
        imports.append({"id": first + n, "reseller_id": reseller, "created_by_id": reseller + 1,
                        "source": "scheduled", "account_type": "subscription", "name": f"Due {n}",
                        "import_type": "CLD-000002", "status": "PENDING", "run_at": run_at, "attempts": 0,
                        "completed_count": 0, "failed_count": 0, "created_at": now})
        items.append({"id": first_item + n, "import_id": first + n, "customer_id": (reseller - 1) * per + 11 + n % 50,
                      "product_id": 2, "status": "PENDING", "quantity": 1, "billing_type": "monthly",
                      "config": {"name": f"Due {n}", "quantity": 1, "billing_type": "monthly"},
                      "reasons": [], "external_id": "", "direct_payment": False})
    for table, rows in ((Import.__table__, imports), (ImportItem.__table__, items)):
        for start in range(0, len(rows), 5000):
            db.session.execute(sa.insert(table), rows[start:start + 5000])
    db.session.commit()
    _fix_sequences("import", "import_item")
    _analyze("import", "import_item")
    return first


def _wait_until_done(first_id: int, count: int, run_at, timeout: float):
    from models import Import, db, utcnow

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = db.session.scalar(sa.select(sa.func.count(Import.id)).where(
            Import.id >= first_id, Import.status.in_(("COMPLETED", "FAILED"))))
        db.session.rollback()
        if done >= count:
            return utcnow()
        time.sleep(0.25)
    raise RuntimeError(f"only {done} of {count} due imports finished within {timeout:.0f} s")


def _lateness(first_id: int, run_at) -> dict:
    from models import Import, db

    rows = db.session.execute(sa.select(Import.status, Import.started_at, Import.finished_at)
                              .where(Import.id >= first_id)).all()
    late = sorted((finished - run_at).total_seconds() for _, _, finished in rows)
    start = sorted((started - run_at).total_seconds() for _, started, _ in rows)
    return {"imports": len(rows), "completed": sum(1 for s, _, _ in rows if s == "COMPLETED"),
            "failed": sum(1 for s, _, _ in rows if s == "FAILED"),
            # finished_at - run_at: when each import's result was written
            "lateness_p50_s": round(statistics.median(late), 2), "lateness_p99_s": round(_p99(late), 2),
            "lateness_max_s": round(late[-1], 2),
            # started_at - run_at: when a worker claimed it (the first batch starts at once)
            "start_p50_s": round(statistics.median(start), 2), "start_p99_s": round(_p99(start), 2),
            "start_min_s": round(start[0], 2), "start_max_s": round(start[-1], 2)}


def _p99(values: list[float]) -> float:
    return values[max(0, int(len(values) * 0.99) - 1)]


# --- assignment of 10,000 licenses and 1,000 activation e-mails ------------------------------------

def assignment_and_emails(backend: Backend, log_dir: Path, handler) -> dict:
    from models import Customer, Order, User, db
    from services.orders import assignments

    with app_context(backend.env):
        _flush_redis()
        order_id, big_line, small_line = _insert_bench_order(ASSIGN_LICENSES, EMAILS)
        order, actor = db.session.get(Order, order_id), db.session.get(User, BENCH_USER_ID)
        customer = db.session.get(Customer, 1)
        start = time.perf_counter()
        assignments.assign_licenses(order, big_line, customer, ASSIGN_LICENSES, actor)
        db.session.commit()
        result = {"assign_10000_s": round(time.perf_counter() - start, 3)}
        _flush_redis()  # its one e-mail is not part of the e-mail figure
        customers = list(db.session.scalars(sa.select(Customer).where(Customer.reseller_id == 1)
                                            .order_by(Customer.id).limit(200)))
        order = db.session.get(Order, order_id)
        start = time.perf_counter()
        for n in range(EMAILS):
            assignments.assign_licenses(order, small_line, customers[n % len(customers)], 1, actor)
        result["queue_1000_emails_s"] = round(time.perf_counter() - start, 3)
        with job_processes(backend, log_dir / "emails", workers=2):
            received = len(handler.messages)
            start = time.perf_counter()
            db.session.commit()  # the outbox rows are queued; the jobs go to Redis after this commit
            _wait_for(lambda: len(handler.messages) - received >= EMAILS, timeout=120)
            result["emails_1000_s"] = round(time.perf_counter() - start, 3)
        _flush_redis()
    return result


def _insert_bench_order(big: int, small: int) -> tuple[int, int, int]:
    """An approved order of reseller 1 with two lines: `big` and `small` AVAILABLE licenses."""
    from models import License, Order, OrderLine, db, utcnow

    now = utcnow()
    order_id = db.session.scalar(sa.select(sa.func.max(Order.id))) + 1
    line_id = db.session.scalar(sa.select(sa.func.max(OrderLine.id))) + 1
    license_id = db.session.scalar(sa.select(sa.func.max(License.id))) + 1
    db.session.execute(sa.insert(Order.__table__), [{
        "id": order_id, "reseller_id": 1, "user_id": BENCH_USER_ID, "status": "APPROVED",
        "checkout_token": f"bench-big-{order_id}", "confirmation_email": "buyer@reseller1.test",
        "description": "Bench: assignment", "delivery_method": "electronic", "delivery_comments": "",
        "payment_method": "on_account", "currency": "USD", "tax_rate": Decimal("0"), "subtotal": Decimal("0"),
        "tax": Decimal("0"), "total": Decimal("0"), "rejection_reason": "", "created_at": now}])
    db.session.execute(sa.insert(OrderLine.__table__), [
        {"id": line_id + n, "order_id": order_id, "product_id": 1, "sku": "ESD-000001",
         "product_name": "Product 1 Pro", "vendor_name": "Vendor 2", "quantity": qty, "unit_price": Decimal("1.00")}
        for n, qty in enumerate((big, small))])
    rows, seq = [], {line_id: 0, line_id + 1: 0}
    for n in range(big + small):
        line = line_id if n < big else line_id + 1
        seq[line] += 1
        rows.append({"id": license_id + n, "order_line_id": line, "seq": seq[line],
                     "key": f"BENCH{license_id + n:012d}", "status": "AVAILABLE", "created_at": now})
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(License.__table__), rows[start:start + 5000])
    db.session.commit()
    _fix_sequences("order", "order_line", "license")
    _analyze("order", "order_line", "license")
    return order_id, line_id, line_id + 1


def _fix_sequences(*tables: str) -> None:
    from models import db

    if db.engine.dialect.name == "postgresql":
        for name in tables:
            db.session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                                       f"(SELECT MAX(id) FROM \"{name}\"))"))
        db.session.commit()


def _analyze(*tables: str) -> None:
    """Fresh planner statistics after a bulk insert, as autovacuum would give them: PostgreSQL otherwise
    walks the whole license primary key looking for the new order's AVAILABLE licenses."""
    from models import db

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(sa.text(f'ANALYZE "{table}"'))


def _wait_for(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"not done within {timeout} s")
        time.sleep(0.05)


# --- the CSV import (bench/csv_import.py, written with the import feature) -----------------------------

def csv_import(backend: Backend, tmp: Path) -> dict:
    path = Path(__file__).with_name("csv_import.py")
    if not path.exists():
        return {"status": "pending: bench/csv_import.py does not exist yet"}
    spec = importlib.util.spec_from_file_location("bench.csv_import", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with app_context(backend.env):
        start = time.perf_counter()
        figures = module.run(tmp)
        return {"total_s": round(time.perf_counter() - start, 2), **(figures or {})}
