"""The two lock files: requirements.lock is what the gateway runs on, requirements-dev.lock is
that plus the test tools; every pin carries its hashes, and both follow pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)")


def pins(name: str) -> dict[str, str]:
    """The lock's pins by canonical name; fails on a pin without a sha256 hash."""
    text = (ROOT / name).read_text()
    # A requirement is its first line and the continuation lines (hashes) that follow it.
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    found: dict[str, str] = {}
    for entry in entries:
        match = PIN.match(entry)
        assert match, f"{name}: not a pinned requirement: {entry.splitlines()[0]!r}"
        assert "--hash=sha256:" in entry, f"{name}: {match[1]} has no hash"
        found[canonicalize_name(match[1])] = match[2]
    return found


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_every_pin_has_hashes_and_the_runtime_lock_holds_no_test_tool() -> None:
    runtime, development = pins("requirements.lock"), pins("requirements-dev.lock")
    tools = {
        canonicalize_name(Requirement(r).name) for r in project()["optional-dependencies"]["test"]
    }
    assert tools and not tools & runtime.keys()
    assert tools <= development.keys()
    # The dev lock is the runtime lock plus the tools: the same versions where both pin one.
    assert {name: development.get(name) for name in runtime} == runtime


def test_each_declared_dependency_is_pinned_within_its_range() -> None:
    runtime, development = pins("requirements.lock"), pins("requirements-dev.lock")
    declared = [(r, runtime) for r in project()["dependencies"]] + [
        (r, development) for r in project()["optional-dependencies"]["test"]
    ]
    for line, lock in declared:
        requirement = Requirement(line)
        version = lock.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is declared but not locked"
        assert requirement.specifier.contains(version, prereleases=True), (line, version)


def test_the_locks_say_how_they_were_written() -> None:
    for name, extra in (("requirements.lock", ""), ("requirements-dev.lock", " --extra test")):
        header = (ROOT / name).read_text().splitlines()[1]
        assert "--generate-hashes" in header and header.endswith(f"{extra} --output-file {name}")
