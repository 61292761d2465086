"""Every job named by a dotted path resolves to a function: a renamed or moved job fails here, not in a worker.

A job given to enqueue_after_commit / enqueue_unique / schedule_at (or listed in jobs.schedule.PERIODIC)
as a string such as "jobs.mail.send_emails" is only imported by the worker that runs it; a typo would
fail at run time, after the row it was for was committed. The calls are found by reading the source
(ast), so a new one is checked without being listed here.
"""
from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import pytest

from jobs.schedule import PERIODIC

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["app.py", "queues.py", "blueprints", "services", "models", "jobs", "devstack", "bench"]
HELPERS = {"enqueue_after_commit": 1, "enqueue_unique": 1, "schedule_at": 2}  # name -> index of `func`
DEFINING_MODULE = "queues"  # passes its own `func` parameter through: nothing to resolve there


def resolve(path: str):
    """The function a worker imports for `path` (RQ: module.attribute, attributes may nest)."""
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for name in parts[split:]:
            target = getattr(target, name)
        if not callable(target):
            raise TypeError(f"{path} is not callable")
        return target
    raise ModuleNotFoundError(path)


def python_files(root: Path, sources: list[str]):
    for source in sources:
        path = root / source
        yield from ([path] if path.suffix == ".py" else sorted(path.rglob("*.py")))


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def job_arguments(root: Path, sources: list[str]):
    """(where, module name, the `func` argument's node, the module's ast) for each call of a job helper."""
    for path in python_files(root, sources):
        tree = ast.parse(path.read_text(), filename=str(path))
        module = module_name(root, path)
        if module == DEFINING_MODULE:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in HELPERS and len(node.args) > HELPERS[name]:
                yield f"{path.relative_to(root)}:{node.lineno}", module, node.args[HELPERS[name]], tree


def job_path(module: str, node: ast.expr, tree: ast.Module):
    """The dotted path (or function) a call passes: a literal, or a constant such as outbox.SEND_JOB."""
    if isinstance(node, ast.Constant):
        return node.value
    namespace = dict(vars(importlib.import_module(module)))
    for statement in ast.walk(tree):  # imports made inside functions too (bench imports lazily)
        if isinstance(statement, ast.Import | ast.ImportFrom):
            exec(compile(ast.Module([statement], type_ignores=[]), module, "exec"), namespace)
    return eval(compile(ast.Expression(node), module, "eval"), namespace)


def problems(root: Path, sources: list[str]) -> tuple[list[str], set[str]]:
    """(what does not resolve, every dotted path found)."""
    found, wrong = set(), []
    for where, module, node, tree in job_arguments(root, sources):
        try:
            target = job_path(module, node, tree)
        except Exception as exc:  # noqa: BLE001 - reported with its location
            wrong.append(f"{where}: cannot tell which job {ast.unparse(node)} is ({exc!r})")
            continue
        if callable(target):
            continue
        found.add(target)
        try:
            resolve(target)
        except Exception as exc:  # noqa: BLE001
            wrong.append(f"{where}: job {target!r} does not resolve ({exc!r})")
    return wrong, found


def test_every_job_passed_by_name_resolves_to_a_function():
    wrong, found = problems(ROOT, SOURCES)
    assert wrong == []
    # The scan does find them (enqueued from services, jobs and the bench).
    assert {"jobs.mail.send_email", "jobs.mail.send_emails", "jobs.provisioning.run_import",
            "jobs.provisioning.run_due_imports", "jobs.bulk_import.run_file_import"} <= found


@pytest.mark.parametrize("name, cron, func, queue", PERIODIC)
def test_every_periodic_job_resolves_to_a_function(name, cron, func, queue):
    assert callable(resolve(func))


def test_a_misspelt_job_path_is_reported_with_its_line(tmp_path):
    package = tmp_path / "somewhere"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "enqueues.py").write_text(
        "from queues import enqueue_after_commit, enqueue_unique\n"
        "SEND = 'jobs.mail.send_emails'\n"
        "def queue_them():\n"
        "    enqueue_after_commit('mail', 'jobs.mail.send_emials', 1, job_id='x')\n"
        "    enqueue_unique('mail', SEND, 1, job_id='y')\n"
        "    enqueue_unique('mail', 'no_such_module.run', job_id='z')\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        wrong, found = problems(tmp_path, ["somewhere"])
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("somewhere", "somewhere.enqueues"):
            sys.modules.pop(name, None)
    assert found == {"jobs.mail.send_emails", "jobs.mail.send_emials", "no_such_module.run"}
    assert len(wrong) == 2
    assert wrong[0].startswith("somewhere/enqueues.py:4: job 'jobs.mail.send_emials' does not resolve")
    assert wrong[1].startswith("somewhere/enqueues.py:6: job 'no_such_module.run' does not resolve")
