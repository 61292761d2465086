"""Benchmark (not a test): the monthly close for 1,000 resellers with 200,000 subscriptions, and a 2,000-line PDF.

The dataset: 1,000 resellers (an admin each), 20 customers each, 200 subscriptions each (P1Y billed monthly,
monthly, and annual up front, started across October 2026), October's fees already written, plus for every
reseller a few ESD order charges, seat additions and credits in November. Timed: first November's fees for every
subscription at once (what the hourly job writes over the month; timed apart), then the close of November as the job
runs it on 2026-12-01 (the month's last fees, 1,000 statements, every charge put on one, the totals and 1,000
e-mails, in one transaction). Then a 2,000-line statement rendered to PDF.

Targets (issue 22): the close within 60 s on SQLite and on PostgreSQL, the PDF within 10 s.
Standalone: `.venv/bin/python -m bench.billing` (BENCH_BACKENDS=sqlite,postgresql; BENCH_SIZE=small for 10x less).
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from bench import stack

CLOSE_TARGET_S, PDF_TARGET_S = 60.0, 10.0
SIZES = {"full": (1000, 200), "small": (100, 200)}  # resellers, subscriptions per reseller
CUSTOMERS_PER_RESELLER, PDF_LINES, CHUNK = 20, 2000, 5000
TYPES = ("P1Y-monthly",) * 7 + ("monthly",) * 2 + ("P1Y-annual",)
OCTOBER = datetime(2026, 10, 1, tzinfo=UTC)


def generate(size: str = "full") -> dict:
    from models import Category, Charge, Customer, Product, Reseller, Subscription, User, Vendor, db
    from services.accounts.passwords import hash_password
    from services.billing import fees

    resellers, per = SIZES[size]
    start = time.perf_counter()
    vendor, category = Vendor(name="Bench Cloud", slug="bench-cloud"), Category(name="Bench", slug="bench")
    product = Product(sku="BENCH-CLOUD", name="Bench Cloud Suite", kind="subscription", price=Decimal("7.20"),
                      msrp=Decimal("9.00"), cost=Decimal("6.00"), vendor=vendor, category=category,
                      billing_types=list(set(TYPES)))
    db.session.add(product)
    db.session.flush()
    password = hash_password("bench-password")
    _insert(Reseller, ({"id": r, "name": f"Reseller {r} S.A.", "tax_id": f"{r}", "currency": "USD"}
                       for r in range(1, resellers + 1)))
    _insert(User, ({"email": f"admin@reseller{r}.test", "name": f"Admin {r}", "password_hash": password,
                    "role": "reseller", "team_role": "admin", "reseller_id": r, "session_token": f"t{r}"}
                   for r in range(1, resellers + 1)))
    _insert(Customer, ({"id": c, "reseller_id": (c - 1) // CUSTOMERS_PER_RESELLER + 1, "code": f"C{c:07d}",
                        "name": f"Cliente {c} Ltda.", "email": f"it@customer{c}.test"}
                       for c in range(1, resellers * CUSTOMERS_PER_RESELLER + 1)))
    _insert(Subscription, (_subscription(s, per, product.id) for s in range(1, resellers * per + 1)))
    _fix_sequences()
    fees.write_due_fees(datetime(2026, 10, 31, 23, tzinfo=UTC))  # October's fees: every first period contains it
    db.session.commit()
    _insert(Charge, _november_extras(resellers))
    _analyze()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Charge))
    return {"resellers": resellers, "subscriptions": resellers * per, "charges_before_close": count,
            "generate_s": round(time.perf_counter() - start, 1)}


def _subscription(s: int, per: int, product_id: int) -> dict:
    from services.subscriptions import terms

    reseller = (s - 1) // per + 1
    started = OCTOBER + timedelta(days=s % 31, hours=s % 24)
    billing_type = TYPES[s % len(TYPES)]
    return {"id": s, "reseller_id": reseller, "product_id": product_id, "name": f"Bench Cloud Suite #{s}",
            "customer_id": (reseller - 1) * CUSTOMERS_PER_RESELLER + s % CUSTOMERS_PER_RESELLER + 1,
            "quantity": s % 25 + 1, "billing_type": billing_type, "unit_price": Decimal("7.20"),
            "unit_cost": Decimal("6.00"), "currency": "USD", "status": "ACTIVE", "created_at": started,
            **terms.initial_term(billing_type, started)}


def _november_extras(resellers: int):
    """Per reseller: 5 ESD order lines, 3 seat additions and 2 credits in November; reseller 1 gets enough
    adjustments to make its statement PDF_LINES long."""
    november = datetime(2026, 11, 1, tzinfo=UTC)
    n = 0
    for r in range(1, resellers + 1):
        extra = max(PDF_LINES - 230, 0) if r == 1 else 0
        for k in range(10 + extra):
            n += 1
            kind, amount = (("esd_order_line", Decimal("100.00")) if k < 5 else ("seats_added", Decimal("12.34"))
                            if k < 8 else ("credit_cancellation", Decimal("-3.21")) if k < 10
                            else ("adjustment", Decimal("1.01")))
            yield {"reseller_id": r, "kind": kind, "description": f"Bench {kind} {k}", "quantity": 1,
                   "unit_price": abs(amount), "amount": amount, "cost": amount * Decimal("0.8"), "currency": "USD",
                   "occurred_at": november + timedelta(minutes=n % 40000), "idempotency_key": f"bench-{n}",
                   "customer_id": (r - 1) * CUSTOMERS_PER_RESELLER + k % CUSTOMERS_PER_RESELLER + 1 if k >= 5
                   else None}


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

    if db.session.get_bind().dialect.name == "postgresql":
        for table in ("reseller", "customer", "subscription"):
            db.session.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT max(id) FROM \"{table}\"))"))
        db.session.commit()


def _analyze() -> None:
    from models import db

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))


def measure(app) -> dict:
    """November's fees (as the hourly job writes them, here all at once: the catch-up of a job that was down all
    month), then the close of November (as the job does on Dec 1), then reseller 1's statement to PDF."""
    from blueprints.billing.views import month_name
    from models import Charge, OutboxEmail, Statement, db
    from services.billing import fees, pdf, statements

    start, cpu = time.perf_counter(), _cpu()
    new_fees = fees.write_due_fees(datetime(2026, 11, 30, 23, 5, tzinfo=UTC))
    db.session.commit()
    fees_s, fees_cpu = time.perf_counter() - start, _cpu_since(cpu)
    start, cpu = time.perf_counter(), _cpu()
    made = statements.close_month("2026-11")
    db.session.commit()
    close_s, close_cpu = time.perf_counter() - start, _cpu_since(cpu)
    charges = db.session.scalar(sa.select(sa.func.count()).where(Charge.statement_id.in_(
        sa.select(Statement.id).where(Statement.period == "2026-11"))))
    emails = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail))
    statement = db.session.scalar(sa.select(Statement).where(Statement.reseller_id == 1, Statement.period == "2026-11"))
    with app.test_request_context():
        start = time.perf_counter()
        lines = statements.statement_lines(statement, page=None)
        body = pdf.render(statement, lines, money=lambda v: f"${v:,.2f}", month=month_name(statement.period),
                          date=lambda d: d.strftime("%Y-%m-%d"), reseller_name=statement.reseller.name)
        pdf_s = time.perf_counter() - start
    return {"fees_catch_up_s": round(fees_s, 2), "fees_written": new_fees, "fees_cpu_s": fees_cpu,
            "close_s": round(close_s, 2), "close_cpu_s": close_cpu, "statements": len(made),
            "charges_on_statements": charges,
            "emails": emails, "close_ok": close_s < CLOSE_TARGET_S and len(made) > 0,
            "pdf_lines": len(lines), "pdf_bytes": len(body), "pdf_s": round(pdf_s, 2),
            "pdf_ok": pdf_s < PDF_TARGET_S and len(lines) >= PDF_LINES}


def _cpu() -> tuple[float, dict[int, int] | None]:
    """CPU so far of this process (seconds) and of the database's server processes (PostgreSQL on this machine:
    /proc of the backends connected to it, ticks by pid), for figures a loaded machine does not blur as wall time
    does."""
    from models import db

    server = None
    if db.session.get_bind().dialect.name == "postgresql":
        pids = list(db.session.scalars(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")))
        db.session.commit()
        try:
            server = {pid: _ticks(pid) for pid in pids}
        except OSError:  # the server runs elsewhere, or a backend just ended
            server = None
    return time.process_time(), server


def _ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime and stime


def _cpu_since(before: tuple[float, float | None]) -> dict:
    process, server = _cpu()
    figures = {"app": round(process - before[0], 2)}
    if server is not None and before[1] is not None:  # a backend that ended in between is not counted
        ticks = sum(now - before[1].get(pid, 0) for pid, now in server.items())
        figures["db"] = round(ticks / os.sysconf("SC_CLK_TCK"), 2)
    return figures


def run_backend(backend_env: dict, size: str) -> dict:
    stack.flask(backend_env, "db", "upgrade")
    with stack.app_context(backend_env) as app:
        figures = generate(size)
        figures.update(measure(app))
    return figures


def run_all(tmp: Path, env: dict, wanted: list[str], size: str = "full") -> dict:
    """Each wanted backend on a fresh database of its own (bench/run.py calls this with its Redis and SMTP)."""
    results = {}
    tmp.mkdir(parents=True, exist_ok=True)
    env = {**env, "TAX_RATE": "0.22"}
    if "sqlite" in wanted:
        results["sqlite"] = run_backend({**env, "DATABASE_URL": f"sqlite:///{tmp / 'billing.db'}"}, size)
        print("  sqlite", json.dumps(results["sqlite"]), flush=True)
    if "postgresql" in wanted:
        name = "canal_bench_billing"
        try:
            stack._pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
        except Exception as exc:  # noqa: BLE001 - no PostgreSQL here
            results["postgresql"] = {"skipped": f"PostgreSQL unreachable ({type(exc).__name__})"}
            return results
        try:
            url = stack.PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
            results["postgresql"] = run_backend({**env, "DATABASE_URL": url}, size)
            print("  postgresql", json.dumps(results["postgresql"]), flush=True)
        finally:
            stack._pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return results


def main() -> int:
    size = os.environ.get("BENCH_SIZE", "full")
    wanted = os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")
    with tempfile.TemporaryDirectory(prefix="canal-bench-billing-") as tmp:
        env = {"CANAL_INSTANCE_PATH": tmp, "SECRET_KEY": "bench", "PUBLIC_URL": "http://canal.bench",
               "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"), "MAIL_SERVER": "127.0.0.1"}
        results = run_all(Path(tmp), env, wanted, size)
    return 0 if all(r.get("close_ok") and r.get("pdf_ok") for r in results.values() if "skipped" not in r) else 1

if __name__ == "__main__":
    sys.exit(main())
