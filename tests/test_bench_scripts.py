"""The benchmark's scripts are not run by the suite (they take minutes and want a quiet
machine), but they must still import: a renamed helper once broke two of them unnoticed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize("script", sorted(p.stem for p in BENCH.glob("*.py")))
def test_each_bench_script_imports(script: str) -> None:
    # A process of its own: the scripts import one another as top-level modules.
    run = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(BENCH)!r}); import {script}"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
