"""The layers hold by themselves: domain/ never imports strawberry or gateway, the import
contracts hold, and no code is left that nothing calls."""

import ast
import subprocess
import sys
from pathlib import Path

from vulture import Vulture

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("strawberry", "gateway")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_domain_imports_neither_strawberry_nor_gateway() -> None:
    files = sorted((ROOT / "domain").rglob("*.py"))
    assert files, "no domain files found"
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & set(FORBIDDEN)) for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_sees_an_offending_import(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from gateway.schema import base\nimport strawberry.types\n")
    assert _imports(sample) >= {"gateway", "strawberry"}


def test_the_layers_and_no_import_circles() -> None:
    """The import-linter contracts of pyproject.toml: gateway above domain, the road a request
    travels (cli > http > execution > resolvers > schema > loaders), no circles in a package."""
    linter = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


# Code that no product path calls but that is kept on purpose, each with its reason. Anything
# else that vulture finds unused fails the next test: wire it or delete it.
KEPT_UNUSED = {
    "unbind": "domain/access.py: tests bind an identity to a session and take it off again",
    "identity_of": "domain/access.py: tests read back the identity a session acts as",
    "needs_rehash": "domain/credentials.py: tested rule for when Argon2 parameters change",
    "barcode_of_line": "domain/rules/boleto.py: the inverse of the digitable line, which the "
    "tests use to prove that the line encodes the barcode",
    "running_registry": "simulators/registry.py: how tests serve the registry simulator",
}
# Declarative classes: their attributes are read by Strawberry, SQLAlchemy or by name.
DECLARATIVE = ("gateway/schema/", "gateway/loaders/container.py", "domain/models/")


def _unused_code() -> list[str]:
    vulture = Vulture(
        ignore_names=[
            "batch_load_fn",  # aiodataloader calls it
            "process_bind_param",  # SQLAlchemy TypeDecorator hooks
            "process_result_value",
            "enter_*",  # graphql-core visitor hooks
            "leave_*",
            "impl",
            "cache_ok",
            "resolve_async",  # Strawberry FieldExtension hook
        ],
        ignore_decorators=[
            "@strawberry.field",
            "@strawberry.mutation",
            "@strawberry.subscription",
            "@event.listens_for",
        ],
    )
    vulture.scavenge([str(ROOT / folder) for folder in ("domain", "gateway", "simulators")])
    found = []
    for item in vulture.get_unused_code(min_confidence=60):
        where = str(Path(item.filename).relative_to(ROOT))
        if item.typ == "attribute":
            continue  # assignments to rows' columns and framework state, read elsewhere
        if item.typ == "variable" and where.startswith(DECLARATIVE):
            continue
        if item.name in KEPT_UNUSED:
            continue
        found.append(f"{where}:{item.first_lineno}: {item.typ} {item.name}")
    return found


def test_no_code_that_nothing_calls() -> None:
    assert _unused_code() == []


def test_the_dead_code_check_sees_a_dead_function(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def used():\n    return 1\n\n\ndef forgotten():\n    return 2\n\n\nused()\n")
    vulture = Vulture()
    vulture.scavenge([str(sample)])
    assert [item.name for item in vulture.get_unused_code(min_confidence=60)] == ["forgotten"]
