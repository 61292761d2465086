"""The CI's pip-audit step: fails on a vulnerability, says so (and passes) when nothing could be audited."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / ".ci" / "pip_audit.py"
spec = importlib.util.spec_from_file_location("ci_pip_audit", SCRIPT)
ci_pip_audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ci_pip_audit)


def test_a_vulnerability_fails_and_names_the_fix():
    code, lines = ci_pip_audit.summarise({"dependencies": [
        {"name": "flask", "version": "2.2.0", "vulns": [
            {"id": "GHSA-m2qf-hxjv-5gpq", "fix_versions": ["2.2.5", "2.3.2"], "description": "..."}]},
        {"name": "redis", "version": "8.1.0", "vulns": []},
    ]})
    assert code == 1
    assert "  flask 2.2.0: GHSA-m2qf-hxjv-5gpq (fixed in: 2.2.5, 2.3.2)" in lines


def test_nothing_vulnerable_passes_and_lists_what_was_not_audited():
    code, lines = ci_pip_audit.summarise({"dependencies": [
        {"name": "redis", "version": "8.1.0", "vulns": []},
        {"name": "private-pkg", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ]})
    assert code == 0 and lines[0] == "pip-audit: 1 packages audited, no known vulnerabilities"
    assert "not audited: Dependency not found on PyPI" in lines[1]


def test_a_service_that_knows_no_package_is_no_audit():
    code, lines = ci_pip_audit.summarise({"dependencies": [
        {"name": n, "skip_reason": f"Dependency not found on PyPI and could not be audited: {n}"}
        for n in ("flask", "redis")]})
    assert code is None and "NOTHING WAS AUDITED" in lines[0]


def test_no_network_is_said_clearly_and_does_not_fail():
    try:
        import pip_audit  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(".ci/run installs pip-audit before the tests")
        pytest.skip("pip-audit is installed by .ci/run")
    dead = "http://127.0.0.1:9"  # nothing listens there
    env = {**os.environ, "HTTPS_PROXY": dead, "https_proxy": dead, "NO_PROXY": "", "no_proxy": ""}
    run = subprocess.run([sys.executable, str(SCRIPT)], check=False, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("NOTHING WAS AUDITED") == 2  # PyPI's service, then OSV's
    assert "ProxyError" in run.stdout or "ConnectionError" in run.stdout
