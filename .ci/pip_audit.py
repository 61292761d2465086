"""pip-audit over the installed environment, for CI: fails on any known vulnerability.

Run with the venv's Python: `.venv/bin/python .ci/pip_audit.py`. pip-audit looks every package up in
a vulnerability service on the network (PyPI's, then OSV's if PyPI's is of no use). When neither
answers (no connection, or a PyPI mirror that says "not found" for every package, which pip-audit
reports as skips and then as "no known vulnerabilities"), this says so loudly and exits 0: an
unreachable service is not a pass, but it is not a finding either. Any vulnerability found fails.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

# Known findings with no fixed release, each with the reason it is accepted. Empty today.
IGNORED: dict[str, str] = {}

NETWORK_ERRORS = ("ConnectionError", "ProxyError", "NameResolutionError", "Max retries exceeded",
                  "ConnectTimeout", "ReadTimeout", "SSLError", "Temporary failure in name resolution")
UNREACHABLE = "pip-audit: NOTHING WAS AUDITED, the vulnerability service could not be used"


def summarise(report: dict) -> tuple[int | None, list[str]]:
    """Exit code (None: nothing could be audited) and the lines to print, from a pip-audit JSON report."""
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    audited = [d for d in deps if "skip_reason" not in d]
    skipped = [d for d in deps if "skip_reason" in d]
    if vulnerable:
        lines = [f"pip-audit: {len(vulnerable)} vulnerable package(s):"]
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix released"
                lines.append(f"  {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixes})")
        return 1, lines
    if deps and not audited:
        return None, [f"{UNREACHABLE}: the service knew none of the {len(skipped)} installed packages "
                      f"({skipped[0]['skip_reason']})"]
    lines = [f"pip-audit: {len(audited)} packages audited, no known vulnerabilities"]
    return 0, lines + [f"  not audited: {d['skip_reason']}" for d in skipped]


def audit(service: str) -> tuple[int | None, list[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "pip_audit", "--vulnerability-service", service, "--skip-editable",
                   "--progress-spinner", "off", "--format", "json", "--output", str(out)]
        for vuln_id in IGNORED:
            command += ["--ignore-vuln", vuln_id]
        run = subprocess.run(command, check=False, capture_output=True, text=True)
        report = json.loads(out.read_text()) if out.exists() and out.stat().st_size else None
    if report is not None:
        return summarise(report)
    if any(marker in run.stderr for marker in NETWORK_ERRORS):
        return None, [f"{UNREACHABLE}: {run.stderr.strip().splitlines()[-1][:300]}"]
    return run.returncode or 1, ["pip-audit failed:", run.stdout, run.stderr]


def main() -> int:
    for vuln_id, reason in IGNORED.items():
        print(f"ignoring {vuln_id}: {reason}")
    for service in ("pypi", "osv"):  # OSV only when PyPI's service is of no use
        code, lines = audit(service)
        print(f"[{service}] " + "\n".join(lines))
        if code is not None:
            return code
    return 0  # unreachable everywhere: said loudly above, but not a finding


if __name__ == "__main__":
    sys.exit(main())
