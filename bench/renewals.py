"""Benchmark (not a test): subscriptions at term end, and scheduled seat changes, with the real processes.

1. 100,000 subscriptions whose terms end in the same second (it stands for a midnight, 00:00 UTC: the workers need a
   real moment to wait for), 90 % auto-renewing, 10 % not (they expire). The periodic job's work
   (renewals.create_term_ends, an hour ahead in production) is timed apart; then two `flask jobs worker` processes
   and the scheduler renew or expire them at the term end. Target (issue 21): all renewed or expired within 60 s
   of the term end, and a start lateness p99 (term end -> a worker took its import up) under 2 s.
2. 10,000 quantity changes (one seat more each) scheduled for the same second: all done within 30 s.

Each backend gets a fresh database of its own (1,000 resellers with an admin each, 20 customers each); figures are
wall time and the workers' CPU time per renewal (user + system of the worker processes, from /proc).
Standalone: `.venv/bin/python -m bench.renewals` (BENCH_BACKENDS=sqlite,postgresql; BENCH_SIZE=small for 10x less;
BENCH_LOGS=<dir> keeps the workers' logs).
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from bench import stack

RENEW_ALL_S, RENEW_P99_S, CHANGES_ALL_S = 60.0, 2.0, 30.0
SIZES = {"full": (1000, 100, 10), "small": (100, 100, 10)}  # resellers, renewing subscriptions each, changes each
CUSTOMERS_PER_RESELLER, CHUNK = 20, 5000
PRICE = Decimal("7.20")
FAR = datetime(2030, 1, 1, tzinfo=UTC)  # where the term ends sit while their imports are made
LEAD_S = 8.0  # from choosing the due second to it (the workers run already): time to write the move


# --- the dataset -----------------------------------------------------------------------------------------------

def generate(size: str) -> dict:
    from models import Category, Customer, Product, Reseller, User, Vendor, db
    from services.accounts.passwords import hash_password

    resellers, per, changes = SIZES[size]
    vendor, category = Vendor(name="Bench Cloud", slug="bench-cloud"), Category(name="Cloud", slug="cloud")
    product = Product(sku="BENCH-CLOUD", name="Bench Cloud Suite", kind="subscription", price=PRICE,
                      msrp=Decimal("9.00"), cost=Decimal("6.00"), vendor=vendor, category=category,
                      billing_types=["monthly", "P1Y-monthly"], terms_version=1)
    db.session.add(product)
    db.session.flush()
    password = hash_password("bench-password")
    _insert(Reseller, ({"id": r, "name": f"Reseller {r} S.A.", "tax_id": f"{r}", "currency": "USD"}
                       for r in range(1, resellers + 1)))
    _insert(User, ({"email": f"admin@reseller{r}.test", "name": f"Admin {r}", "password_hash": password,
                    "role": "reseller", "team_role": "admin", "reseller_id": r, "session_token": f"t{r}",
                    "locale": "es" if r % 4 == 0 else None} for r in range(1, resellers + 1)))
    _insert(Customer, ({"id": c, "reseller_id": (c - 1) // CUSTOMERS_PER_RESELLER + 1, "code": f"C{c:07d}",
                        "name": f"Cliente {c} Ltda.", "email": f"it@customer{c}.test"}
                       for c in range(1, resellers * CUSTOMERS_PER_RESELLER + 1)))
    renewing = resellers * per
    _insert_subscriptions(product.id, 1, renewing, per, FAR)
    _insert_subscriptions(product.id, renewing + 1, resellers * changes, changes, FAR + timedelta(days=400))
    _fix_sequences()
    _analyze()
    return {"subscriptions_at_term_end": renewing, "quantity_changes": resellers * changes}


def _insert_subscriptions(product_id: int, first: int, count: int, per_reseller: int, term_end: datetime) -> None:
    from models import Subscription
    from services.subscriptions import terms

    def row(n: int) -> dict:
        reseller = n // per_reseller + 1
        billing_type = "P1Y-monthly" if n % 3 else "monthly"
        start = terms.add_months(term_end, -terms.TERMS[billing_type].months)
        return {"id": first + n, "reseller_id": reseller, "product_id": product_id, "name": f"Bench Cloud #{first + n}",
                "customer_id": (reseller - 1) * CUSTOMERS_PER_RESELLER + n % CUSTOMERS_PER_RESELLER + 1,
                "quantity": n % 25 + 1, "billing_type": billing_type, "unit_price": PRICE,
                "unit_cost": Decimal("6.00"), "currency": "USD", "status": "ACTIVE", "created_at": start,
                "external_id": f"BENCH-{first + n}", "version": 0, "config": {},
                **terms.initial_term(billing_type, start), "auto_renew": n % 10 != 0}

    _insert(Subscription, (row(n) for n in range(count)))


def _insert(model, rows) -> None:
    from models import db

    table, chunk = model.__table__, []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            db.session.execute(sa.insert(table), chunk)
            chunk = []
    if chunk:
        db.session.execute(sa.insert(table), chunk)
    db.session.commit()


def _fix_sequences() -> None:
    from models import db

    if db.engine.dialect.name == "postgresql":
        for table in ("reseller", "user", "customer", "subscription"):
            db.session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                       f"(SELECT max(id) FROM \"{table}\"))"))
        db.session.commit()


def _analyze() -> None:
    from models import db

    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))


# --- 1. renewals at one term end -------------------------------------------------------------------------------

def renewals(backend_env: dict, log_dir: Path, count: int) -> dict:
    """Make the term ends' imports (timed), start the workers, move the term end to a moment just ahead (after the
    move is written: setting the bench up never makes a renewal late) and wait until every one is done."""
    from models import db, utcnow
    from services.subscriptions import renewals as term_ends

    _flush_redis()
    start = time.perf_counter()
    made = term_ends.create_term_ends(FAR - timedelta(minutes=30))
    db.session.commit()
    figures = {"term_end_imports": made, "create_term_ends_s": round(time.perf_counter() - start, 2)}
    _flush_redis()  # create_term_ends asked for a run at FAR; the shift below asks for the real one
    _analyze()
    with _workers(backend_env, log_dir / "renewals") as cpu:
        due = _ahead(count)
        start = time.perf_counter()
        _shift_term_end(FAR, due)
        figures["shift_s"] = round(time.perf_counter() - start, 2)
        _schedule_run(due)
        cpu.start()
        figures["setup_overran"] = utcnow() > due
        done_at = _wait(lambda: _term_ends_done(count), count, timeout=LEAD_S + 300 + count / 100)
    figures.update(_renewal_lateness(due, done_at, count))
    figures["worker_cpu_s"] = round(cpu.seconds, 1)
    figures["cpu_ms_per_renewal"] = round(cpu.seconds * 1000 / count, 2)
    figures["renewals_per_s"] = round(count / max(figures["all_done_s"], 0.001), 1)
    figures["all_done_ok"] = figures["all_done_s"] < RENEW_ALL_S and figures["renewed"] + figures["expired"] == count
    figures["ok"] = figures["all_done_ok"] and figures["start_p99_s"] < RENEW_P99_S
    return figures


def _ahead(count: int) -> datetime:
    """The second the work is due: far enough ahead to write it (a few seconds for 100,000 rows)."""
    from models import utcnow

    return (utcnow() + timedelta(seconds=LEAD_S + count / 20000)).replace(microsecond=0)


def _shift_term_end(old: datetime, new: datetime) -> None:
    """Every term ending at `old`, and what was made for it, now ends at `new` (the same terms, earlier)."""
    from models import Import, ImportItem, Subscription, db
    from services.subscriptions import terms

    for billing_type, term in terms.TERMS.items():
        start = terms.add_months(new, -term.months)
        db.session.execute(sa.update(Subscription).where(Subscription.term_end == old,
                                                         Subscription.billing_type == billing_type)
                           .values(term_start=start, term_end=new, price_protected_until=new,
                                   cancellable_until=terms.window_end(start)))
    db.session.execute(sa.update(Import).where(Import.run_at == old).values(run_at=new))
    old_iso, new_iso = old.isoformat(), new.isoformat()
    config = ImportItem.__table__.c.config
    if db.engine.dialect.name == "postgresql":
        value = sa.text("replace(config::text, :old, :new)::json")
    else:
        value = sa.func.replace(config, old_iso, new_iso)
    db.session.execute(sa.update(ImportItem.__table__).where(sa.cast(config, sa.Text).contains(old_iso))
                       .values(config=value), {"old": old_iso, "new": new_iso})
    db.session.commit()


def _term_ends_done(count: int) -> int:
    """Term-end items that ended (renewed, expired or failed with a reason)."""
    from models import ImportItem, ItemStatus, db

    done = db.session.scalar(sa.select(sa.func.count()).select_from(ImportItem).where(
        ImportItem.subscription_id <= count, ImportItem.status.in_((ItemStatus.COMPLETED, ItemStatus.FAILED))))
    db.session.rollback()
    return done


def _renewal_lateness(due: datetime, done_at: datetime, count: int) -> dict:
    from models import Import, ImportItem, Subscription, db

    rows = db.session.execute(sa.select(Import.started_at, Import.finished_at, sa.func.count(ImportItem.id))
                              .join(ImportItem, ImportItem.import_id == Import.id)
                              .where(Import.run_at == due).group_by(Import.id)).all()
    start = sorted(s for started, _, n in rows for s in [(started - due).total_seconds()] * n)
    finish = sorted(s for _, finished, n in rows for s in [(finished - due).total_seconds()] * n)
    statuses = dict(db.session.execute(sa.select(Subscription.status, sa.func.count())
                                       .where(Subscription.id <= count).group_by(Subscription.status)).all())
    renewed = db.session.scalar(sa.select(sa.func.count()).select_from(Subscription).where(
        Subscription.id <= count, Subscription.term_start == due))
    return {"subscriptions": count, "renewed": renewed, "expired": statuses.get("EXPIRED", 0),
            "imports": len(rows), "all_done_s": round((done_at - due).total_seconds(), 2),
            # per renewal: when a worker took its import up, and when its result was written
            "start_first_s": round(start[0], 2), "start_p50_s": round(statistics.median(start), 2),
            "start_p99_s": round(_p99(start), 2),
            "finish_p50_s": round(statistics.median(finish), 2), "finish_p99_s": round(_p99(finish), 2),
            "finish_max_s": round(finish[-1], 2)}


# --- 2. quantity changes due in one second ---------------------------------------------------------------------

def quantity_changes(backend_env: dict, log_dir: Path, first_subscription: int, count: int) -> dict:
    from models import Import, ImportStatus, db, utcnow

    _flush_redis()
    first_import = _insert_quantity_changes(first_subscription, count, FAR)
    done = sa.select(sa.func.count()).where(Import.id >= first_import,
                                            Import.status.in_((ImportStatus.COMPLETED, ImportStatus.FAILED)))

    def finished() -> int:
        n = db.session.scalar(done)
        db.session.rollback()
        return n

    with _workers(backend_env, log_dir / "quantity") as cpu:
        due = _ahead(count)
        db.session.execute(sa.update(Import).where(Import.id >= first_import).values(run_at=due))
        db.session.commit()
        _schedule_run(due)
        cpu.start()
        setup_overran = utcnow() > due
        done_at = _wait(finished, count, timeout=LEAD_S + 120 + count / 50)
    completed = db.session.scalar(sa.select(sa.func.count()).where(Import.id >= first_import,
                                                                    Import.status == ImportStatus.COMPLETED))
    all_done = round((done_at - due).total_seconds(), 2)
    return {"changes": count, "completed": completed, "all_done_s": all_done, "setup_overran": setup_overran,
            "worker_cpu_s": round(cpu.seconds, 1), "cpu_ms_per_change": round(cpu.seconds * 1000 / count, 2),
            "ok": all_done < CHANGES_ALL_S and completed == count}


def _insert_quantity_changes(first_subscription: int, count: int, due: datetime) -> int:
    """One scheduled change of one seat more per subscription, as the subscription page schedules it."""
    from models import Import, ImportItem, Subscription, User, db, utcnow

    subs = db.session.execute(sa.select(Subscription.id, Subscription.reseller_id, Subscription.customer_id,
                                        Subscription.product_id, Subscription.quantity, Subscription.billing_type)
                              .where(Subscription.id >= first_subscription).order_by(Subscription.id)
                              .limit(count)).all()
    admins = dict(db.session.execute(sa.select(User.reseller_id, User.id)).all())
    first = (db.session.scalar(sa.select(sa.func.max(Import.id))) or 0) + 1
    first_item = (db.session.scalar(sa.select(sa.func.max(ImportItem.id))) or 0) + 1
    now = utcnow()
    imports = [{"id": first + n, "reseller_id": s.reseller_id, "created_by_id": admins[s.reseller_id],
                "source": "scheduled_change", "account_type": "subscription", "name": f"Change quantity · #{s.id}",
                "import_type": "BENCH-CLOUD", "status": "PENDING", "run_at": due, "attempts": 0,
                "completed_count": 0, "failed_count": 0, "created_at": now} for n, s in enumerate(subs)]
    items = [{"id": first_item + n, "import_id": first + n, "kind": "sub_quantity", "customer_id": s.customer_id,
              "product_id": s.product_id, "subscription_id": s.id, "status": "PENDING", "quantity": s.quantity + 1,
              "billing_type": s.billing_type, "config": {"subscription_id": s.id, "at_renewal": False},
              "reasons": [], "external_id": "", "direct_payment": False} for n, s in enumerate(subs)]
    _insert_rows(Import, imports)
    _insert_rows(ImportItem, items)
    if db.engine.dialect.name == "postgresql":
        for table in ("import", "import_item"):
            db.session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                       f"(SELECT max(id) FROM \"{table}\"))"))
    db.session.commit()
    _analyze()
    return first


def _insert_rows(model, rows: list[dict]) -> None:
    from models import db

    for start in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(model.__table__), rows[start:start + CHUNK])


# --- the processes ---------------------------------------------------------------------------------------------

class _Cpu:
    """The workers' CPU seconds from start() to the end of the block (their start-up is not counted)."""

    seconds = 0.0
    before = 0.0

    def start(self) -> None:
        self.before = _workers_cpu()


class _workers:
    """Two `flask jobs worker` and the scheduler (bench.background.job_processes), with their CPU time (_Cpu)."""

    def __init__(self, env: dict, log_dir: Path):
        from bench.background import job_processes
        from bench.stack import Backend

        self.processes = job_processes(Backend("bench", "", env), log_dir, workers=2, scheduler=True)
        self.cpu = _Cpu()

    def __enter__(self) -> _Cpu:
        self.processes.__enter__()
        self.cpu.start()
        return self.cpu

    def __exit__(self, *exc) -> None:
        self.cpu.seconds = _workers_cpu() - self.cpu.before
        self.processes.__exit__(*exc)


def _workers_cpu() -> float:
    """User + system CPU seconds of this process's `flask jobs worker` children and their work horses (a worker's
    cutime holds the horses it has waited for), from /proc."""
    tick, stats = os.sysconf("SC_CLK_TCK"), {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        stats[int(stat.parent.name)] = (int(fields[1]), cmdline, sum(int(f) for f in fields[11:15]))
    workers = {pid for pid, (ppid, cmdline, _) in stats.items() if ppid == os.getpid() and b"worker" in cmdline}
    return sum(ticks for pid, (ppid, _, ticks) in stats.items() if pid in workers or ppid in workers) / tick


def _schedule_run(due: datetime) -> None:
    from queues import schedule_at
    from services.provisioning import provisioning

    schedule_at(due - provisioning.DUE_RUN_LEAD, "default", provisioning.RUN_DUE_JOB, due,
                job_id=provisioning.due_job_id(due), timeout=provisioning.JOB_TIMEOUT)  # as enqueue_due_run


def _wait(done, count: int, timeout: float) -> datetime:
    from models import utcnow

    deadline = time.monotonic() + timeout
    n = 0
    while time.monotonic() < deadline:
        n = done()
        if n >= count:
            return utcnow()
        time.sleep(0.25)
    raise RuntimeError(f"only {n} of {count} done within {timeout:.0f} s")


def _flush_redis() -> None:
    from queues import get_redis

    get_redis().flushdb()


def _p99(values: list[float]) -> float:
    return values[max(0, int(len(values) * 0.99) - 1)]


# --- running it ------------------------------------------------------------------------------------------------

def run_backend(backend_env: dict, log_dir: Path, size: str) -> dict:
    stack.flask(backend_env, "db", "upgrade")
    with stack.app_context(backend_env):
        figures = generate(size)
        count = figures["subscriptions_at_term_end"]
        changes = figures["quantity_changes"]
        figures["renewals"] = _guarded(lambda: renewals(backend_env, log_dir, count))
        figures["quantity_changes"] = _guarded(lambda: quantity_changes(backend_env, log_dir, count + 1, changes))
    return figures


def run_all(tmp: Path, env: dict, wanted: list[str], size: str = "full") -> dict:
    """Each wanted backend on a fresh database of its own (bench/run.py calls this with its Redis and SMTP)."""
    results = {}
    tmp.mkdir(parents=True, exist_ok=True)
    if "sqlite" in wanted:
        results["sqlite"] = _guarded(lambda: run_backend({**env, "DATABASE_URL": f"sqlite:///{tmp / 'renewals.db'}"},
                                                         _log_dir(tmp, "sqlite"), size))
        print("  sqlite", json.dumps(results["sqlite"]), flush=True)
    if "postgresql" in wanted:
        name = "canal_bench_renewals"
        try:
            stack._pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        except Exception as exc:  # noqa: BLE001 - no PostgreSQL here
            results["postgresql"] = {"skipped": f"PostgreSQL unreachable ({type(exc).__name__})"}
            return results
        try:
            url = stack.PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
            results["postgresql"] = _guarded(lambda: run_backend({**env, "DATABASE_URL": url},
                                                                 _log_dir(tmp, "postgresql"), size))
            print("  postgresql", json.dumps(results["postgresql"]), flush=True)
        finally:
            stack._pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


def _log_dir(tmp: Path, backend: str) -> Path:
    """The workers' logs: BENCH_LOGS keeps them (the temporary directory goes at the end)."""
    keep = os.environ.get("BENCH_LOGS")
    return Path(keep) / backend if keep else tmp / f"logs-{backend}"


def _guarded(run) -> dict:
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - the other backend's figures are kept
        import traceback

        traceback.print_exc()
        return {"error": f"{type(exc).__name__}: {exc}"}


def print_results(results: dict) -> None:
    print(f"\nSubscriptions at term end (targets: all within {RENEW_ALL_S:.0f} s, start p99 < {RENEW_P99_S:.0f} s; "
          f"quantity changes all within {CHANGES_ALL_S:.0f} s)")
    for name, figures in results.items():
        if "renewals" not in figures:
            print(f"  {name}: {figures}")
            continue
        for part in ("renewals", "quantity_changes"):
            print(f"  {name:<10} {part:<16} " + ", ".join(f"{k}={v}" for k, v in figures[part].items()))


def main() -> int:
    size = os.environ.get("BENCH_SIZE", "full")
    wanted = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
    with tempfile.TemporaryDirectory(prefix="canal-bench-renewals-") as tmp_name:
        tmp = Path(tmp_name)
        with stack.redis_server(tmp / "redis") as redis_url, stack.smtp_catcher() as (_handler, smtp_port):
            env = stack.base_env(tmp / "instance", redis_url, smtp_port)
            results = run_all(tmp, env, wanted, size)
    print_results(results)
    return 0 if all(r[p].get("ok") for r in results.values() if "renewals" in r
                    for p in ("renewals", "quantity_changes")) else 1


if __name__ == "__main__":
    sys.exit(main())
