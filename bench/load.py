"""Drive load from a second process with wrk and read back throughput and latency percentiles."""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

BROWSER = Path(__file__).with_name("browser.lua")  # keeps the session cookie the server sets
USER_AGENT = "canal-bench"  # the login and the load send the same one, as one browser would
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass
class LoadResult:
    url: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: int

    def as_dict(self) -> dict:
        return asdict(self)


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does it when it can)")
    return path


def run_wrk(url: str, cookie: str | None = None, connections: int = 32, seconds: int = 10,
            threads: int = 2) -> LoadResult:
    args = [wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s",
            "-s", str(BROWSER), "-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(args + [url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    return parse_wrk(url, output)


def parse_wrk(url: str, output: str) -> LoadResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    percentiles = {p: _ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+([\d.]+\w+)\s*$", output, re.M)}
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return LoadResult(url=url, requests_per_second=rps, p50_ms=percentiles["50"], p99_ms=percentiles["99"],
                      non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
                      errors=sum(map(int, errors.groups())) if errors else 0)


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * UNITS[unit]
