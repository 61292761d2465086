"""requirements.lock (what `make install` installs) must satisfy every dependency pyproject.toml declares."""
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(line) for line in project["dependencies"] + project["optional-dependencies"]["test"]]


def locked(text: str) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", text, flags=re.MULTILINE)
    return {canonicalize_name(name): version for name, version in pins}


def unsatisfied(requirements: list[Requirement], pins: dict[str, str]) -> list[str]:
    problems = []
    for requirement in requirements:
        version = pins.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{requirement.name}: not in requirements.lock")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name}: locked {version}, pyproject wants {requirement.specifier}")
    return problems


def test_the_lock_file_satisfies_pyproject():
    problems = unsatisfied(declared(), locked((ROOT / "requirements.lock").read_text()))
    assert not problems, "run `make lock`:\n" + "\n".join(problems)


def test_the_check_finds_a_missing_or_stale_pin():
    pins = locked("flask==3.1.3\n    # via canal\nredis==4.0.0\n")
    found = unsatisfied([Requirement("Flask>=3.1,<4"), Requirement("redis>=5,<9"), Requirement("rq>=3")], pins)
    assert found == ["redis: locked 4.0.0, pyproject wants <9,>=5", "rq: not in requirements.lock"]
