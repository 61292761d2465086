"""`make bench`: Canal against the machine's ceiling, on SQLite and PostgreSQL, with every figure in results.json.

BENCH_SECONDS (default 6) sets wrk's duration per page; BENCH_ONLY=pages,queries,jobs,memory,billing,subscriptions
picks parts;
BENCH_BACKENDS=sqlite,postgresql picks databases; BENCH_SIZE=small is for trying the harness quickly;
BENCH_MEMORY_SECONDS (default 45; 1800 for the full 30 minutes) sets the memory part's mixed load.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench import background, memory, pages, stack

RESULTS = Path(__file__).with_name("results.json")
PROBES: list[dict] = []  # the machine's speed at each step (see _cpu_probe)
TARGETS = {"ratio": 0.30, "p99_ms": 100.0, "growth": 1.2, "due_all_s": 60.0, "due_p99_s": 2.0, "due_100k_all_s": 30.0,
           "assign_s": 2.0, "emails_s": 6.0, "csv_s": 20.0,
           "renew_100k_all_s": 60.0, "renew_start_p99_s": 2.0, "seat_changes_10k_all_s": 30.0}  # bench/renewals.py


def main() -> int:
    seconds = int(os.environ.get("BENCH_SECONDS", "6"))
    only = set(os.environ.get("BENCH_ONLY", "pages,queries,jobs,memory,billing,subscriptions").split(","))
    wanted = set(os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(","))
    size = os.environ.get("BENCH_SIZE", "full")
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                     "targets": TARGETS, "wrk_seconds": seconds, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="canal-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with stack.redis_server(tmp / "redis") as redis_url, stack.smtp_catcher() as (handler, smtp_port):
            env = stack.base_env(tmp / "instance", redis_url, smtp_port)
            try:
                _run(results, tmp, env, handler, seconds, only, wanted, size)
            finally:
                stack.drop_postgres()
    results["total_s"] = round(time.perf_counter() - began, 1)
    results["machine"]["probes"] = PROBES
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print_table(results)
    print(f"\nEvery figure: {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")
    return 0


def _run(results: dict, tmp: Path, env: dict, handler, seconds: int, only: set, wanted: set, size: str) -> None:
    backends = []
    if "sqlite" in wanted:
        _step(f"SQLite: migrate and generate the {size} dataset")
        backends.append(stack.sqlite_backend(tmp, size, env))
    if "postgresql" in wanted:
        _step(f"PostgreSQL: migrate and generate the {size} dataset")
        pg = stack.postgres_backend(size, env)
        if isinstance(pg, str):
            print(f"  {pg}")
            results["postgresql"] = {"skipped": pg}
        else:
            backends.append(pg)
    for backend in backends:
        results.setdefault(backend.name, {})["dataset"] = backend.timings
    if "queries" in only and backends:
        compared = {}
        for backend in backends:
            _step(f"{backend.name}: the small dataset (1,000 licenses)")
            small = (stack.sqlite_backend(tmp / "small", "small", env) if backend.name == "sqlite"
                     else stack.postgres_backend("small", env))
            compared.update({f"{backend.name}_small": small, backend.name: backend})
        _step("SQL queries and time per page, in-process (small and full datasets taking turns)")
        results["queries"] = pages.in_process(compared)
    if "pages" in only:
        for backend in backends:
            _step(f"{backend.name}: wrk on every page, each next to the bare Flask page of its size")
            results[backend.name]["pages"] = pages.load_pages(backend, seconds,
                                                              tmp / "logs" / f"gunicorn-{backend.name}.log")
    if "jobs" in only:
        for backend in backends:
            results[backend.name]["jobs"] = _jobs(backend, tmp, handler)
    if "billing" in only:
        from bench import billing

        _step("Billing: the monthly close of 1,000 resellers, 200,000 subscriptions; a 2,000-line PDF")
        results["billing"] = billing.run_all(tmp / "billing", env, sorted(wanted), size)
    if "subscriptions" in only:
        from bench import renewals

        _step("Subscriptions: 100,000 term ends in one second, 10,000 seat changes in one second (2 workers)")
        results["subscriptions"] = renewals.run_all(tmp / "subscriptions", env, sorted(wanted), size)
    if "memory" in only and backends:
        backend = backends[-1]  # PostgreSQL when it is there (production's), else SQLite: one run is enough
        _step(f"{backend.name}: memory of a web worker and the RQ worker, {memory.seconds()} s of mixed load "
              f"and a {memory.CSV_ROWS:,}-row CSV import")
        try:
            results["memory"] = memory.measure(backend, tmp / "logs" / "memory")
        except Exception as exc:  # noqa: BLE001 - the other parts' figures are kept
            traceback.print_exc()
            results["memory"] = {"error": f"{type(exc).__name__}: {exc}"}


def _jobs(backend, tmp: Path, handler) -> dict:
    figures = {}
    benches = [("due_imports", lambda: background.due_imports(backend, tmp / "logs" / backend.name))]
    if backend.name == "postgresql" and backend.size == "full":
        benches.append(("due_imports_100k", lambda: background.due_imports(
            backend, tmp / "logs" / backend.name, count=background.DUE_IMPORTS_PG, lead=15.0)))
    for name, bench in (*benches,
                        ("assignment_emails", lambda: background.assignment_and_emails(
                            backend, tmp / "logs" / backend.name, handler)),
                        ("csv_import", lambda: background.csv_import(backend, tmp / "csv" / backend.name))):
        _step(f"{backend.name}: {name.replace('_', ' ')}")
        try:
            figures[name] = bench()
        except Exception as exc:  # noqa: BLE001 - one failed bench must not lose the others' figures
            traceback.print_exc()
            figures[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return figures


def _step(text: str) -> None:
    probe = _cpu_probe()
    PROBES.append({"step": text, "probe_s": probe})
    print(f"[{time.strftime('%H:%M:%S')}] {text} (machine probe {probe:.3f} s)", flush=True)


def _cpu_probe() -> float:
    """CPU seconds of a fixed pure-Python loop: on a shared machine it changes from minute to minute (0.54 to 0.87 s
    for 5M rounds within an hour here), so compare figures taken at similar probes, or interleave runs."""
    start = time.process_time()
    total = 0
    for i in range(1_000_000):
        total += i * i % 7
    return round(time.process_time() - start, 3)


# --- the table -----------------------------------------------------------------------------------------

def print_table(results: dict) -> None:
    queries = results.get("queries", {})
    print("\nPage (wrk, 32 conn.)  db      req/s  p50 ms  p99 ms   bytes  ceiling  ratio  SQL 1k/1M  "
          "CPU ms 1k/1M  misses")
    for name in [*pages.PAGES, *pages.FLOOR]:
        for db_name in ("sqlite", "postgresql"):
            page = results.get(db_name, {}).get("pages", {}).get(name)
            small, full = queries.get(f"{db_name}_small", {}).get(name), queries.get(db_name, {}).get(name)
            if page is None and full is None:
                continue
            page = page or {"rps": 0, "p50_ms": 0, "p99_ms": 0, "bytes": full["bytes"], "ceiling_rps": 0, "ratio": 0}
            print(f"{name:<21} {db_name[:6]:<6} {page['rps']:>6.0f} {page['p50_ms']:>7.1f} {page['p99_ms']:>7.1f} "
                  f"{page['bytes']:>7} {page['ceiling_rps']:>8.0f} {page['ratio']:>6.0%} "
                  f"{_pair(small, full, 'queries', '{}'):>10} {_pair(small, full, 'median_ms', '{:.1f}'):>13}  "
                  f"{', '.join(_page_misses(page, small, full)) if name in pages.PAGES else '(reference, no page)'}")
    for db_name in ("sqlite", "postgresql"):
        jobs = results.get(db_name, {}).get("jobs")
        if jobs:
            print(f"\nBackground work on {db_name}")
            for name, figures in jobs.items():
                print(f"  {name:<18} " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    for db_name, figures in results.get("billing", {}).items():
        print(f"\nBilling on {db_name}: " + ", ".join(f"{k}={v}" for k, v in figures.items()))
    if results.get("subscriptions"):
        from bench import renewals

        renewals.print_results(results["subscriptions"])
    print_memory(results.get("memory"))
    probes = [p["probe_s"] for p in results.get("machine", {}).get("probes", [])]
    if probes:
        print(f"\nMachine probe (CPU s of a fixed loop, lower is faster): {min(probes)}-{max(probes)}")
    print(f"\nTotal {results.get('total_s')} s. Targets: {TARGETS}")


def print_memory(figures: dict | None) -> None:
    if not figures:
        return
    if "error" in figures:
        print(f"\nMemory: {figures['error']}")
        return
    print(f"\nMemory (VmRSS MB, first/peak/last) on {figures['backend']}")
    for phase, title in (("mixed_load", f"{figures['mixed_load_s']} s mixed load"),
                         ("csv_import", f"{figures['csv_import'].get('rows', 0):,}-row CSV import")):
        for name, rss in figures[phase].items():
            if isinstance(rss, dict):
                verdict = {True: "bounded", False: "GROWING"}.get(rss.get("bounded"), "")
                print(f"  {title:<24} {name:<13} {rss['first_mb']:>7} {rss['peak_mb']:>7} {rss['last_mb']:>7}  "
                      f"{verdict}".rstrip())
    print("  peak over the run (VmHWM): " + ", ".join(f"{k} {v}" for k, v in figures["peak_over_the_run_mb"].items()))


def _pair(small: dict | None, full: dict | None, key: str, fmt: str) -> str:
    if not small or not full:
        return "-"
    return fmt.format(small[key]) + "/" + fmt.format(full[key])


def _page_misses(page: dict, small: dict | None, full: dict | None) -> list[str]:
    misses = []
    if page["rps"] and page["ratio"] < TARGETS["ratio"]:
        misses.append("ratio")
    if page["rps"] and page["p99_ms"] >= TARGETS["p99_ms"]:
        misses.append("p99")
    if small and full and full["queries"] > small["queries"]:
        misses.append("queries grow")
    if small and full and full["median_ms"] > TARGETS["growth"] * small["median_ms"]:
        misses.append("time grows")
    return misses


if __name__ == "__main__":
    sys.exit(main())
