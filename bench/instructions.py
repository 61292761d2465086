"""Benchmark (not a test): instructions per request of each main page (bench/pages.py PAGES), counted by valgrind's
callgrind, which is repeatable on a busy or shared machine where requests/s is not.

    .venv/bin/python -m bench.instructions DIR [page-name-substrings...]

DIR keeps the bench's small SQLite dataset (made on the first run; delete DIR to make it again) and callgrind's
files. Each page is requested three times to warm up, then REPEAT times between two calls of os.getppid(), on which
callgrind dumps its counters (--dump-before=getppid): the part between them is those requests alone. To compare
with an older commit, run this file from a `git worktree` of it (copy it there if it is older than this file).
Before each window what exists is frozen out of the garbage collector (gc.freeze(), as gunicorn.conf.py does for a
web worker): otherwise a full collection over every object loaded so far can land in a window, on every run alike
(a page read 3.5-4 M more). The collections of each window are printed beside it.
Uses the Redis at BENCH_REDIS_URL (default redis://127.0.0.1:6379/14); needs valgrind.
"""
from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPEAT = int(os.environ.get("BENCH_REPEAT", "20"))


def env_of(directory: Path) -> dict[str, str]:
    return {"CANAL_INSTANCE_PATH": str(directory / "instance"), "SECRET_KEY": "bench",
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": "2", "PUBLIC_URL": "http://canal.bench",
            "LOGIN_LIMIT_PER_IP": "10000 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "10000 per minute",
            "LOGIN_LIMIT_PER_ACCOUNT_ANYWHERE": "10000 per minute", "TWO_FACTOR_REQUIRED_ROLES": "",
            "DATABASE_URL": f"sqlite:///{directory}/canal-small.db"}


def make_dataset(directory: Path) -> None:
    from bench import stack

    (directory / "instance").mkdir(parents=True, exist_ok=True)
    stack._fill(stack.Backend("sqlite", "small", env_of(directory)))


def requests(directory: Path, names: list[str]) -> None:
    """Runs under callgrind: the requests, each page's between two getppid() calls."""
    from bench import pages
    from bench.stack import Backend

    clients = pages._clients(Backend("sqlite", "small", env_of(directory)), {"n": 0})
    collections = {}
    gc.callbacks.append(lambda phase, info: phase == "start" and collections.__setitem__(
        info["generation"], collections.get(info["generation"], 0) + 1))
    windows = {}
    chosen = [(name, path, who) for name, (path, who) in pages.PAGES.items()
              if not names or any(n in name for n in names)]
    for name, path, who in chosen:
        for _ in range(3):
            if clients[who].get(path).status_code != 200:
                raise RuntimeError(f"{name}: {path} did not answer 200")
        gc.collect()
        gc.freeze()
        before = dict(collections)
        os.getppid()
        for _ in range(REPEAT):
            clients[who].get(path)
        os.getppid()
        windows[name] = [collections.get(n, 0) - before.get(n, 0) for n in range(3)]
    (directory / "order.json").write_text(json.dumps([name for name, _path, _who in chosen]))
    (directory / "collections.json").write_text(json.dumps(windows))


def counted(directory: Path) -> dict[str, float]:
    """M instructions per request of each page, from callgrind's parts (odd parts: the measured windows)."""
    parts = {}
    for path in directory.glob("callgrind.out.*.*"):
        total = re.search(r"^(?:summary|totals): (\d+)", path.read_text(errors="ignore"), re.M)
        parts[int(path.name.rsplit(".", 1)[1])] = int(total.group(1)) if total else 0
    ordered = [parts[k] for k in sorted(parts)]
    order = json.loads((directory / "order.json").read_text())
    return {name: round(ordered[2 * i + 1] / REPEAT / 1e6, 2) for i, name in enumerate(order)}


def main() -> None:
    directory, names = Path(sys.argv[1]).resolve(), sys.argv[2:]
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / "canal-small.db").exists():
        make_dataset(directory)
    for old in directory.glob("callgrind.out.*"):
        old.unlink()
    subprocess.run(["valgrind", "--tool=callgrind", "--dump-before=getppid",
                    f"--callgrind-out-file={directory}/callgrind.out.%p", sys.executable, "-m", "bench.instructions",
                    "--requests", str(directory), *names],
                   check=True, cwd=Path(__file__).resolve().parent.parent, capture_output=True)
    collections = json.loads((directory / "collections.json").read_text())
    for name, millions in counted(directory).items():
        print(f"{name:20s} {millions:7.2f} M instructions a request "
              f"(garbage collections of generations 0/1/2 in the window: {collections[name]})")


if __name__ == "__main__":
    if sys.argv[1] == "--requests":
        requests(Path(sys.argv[2]), sys.argv[3:])
    else:
        main()
