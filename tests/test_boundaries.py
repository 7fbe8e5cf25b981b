"""The layers hold by themselves: domain/ never imports strawberry or gateway."""

import ast
from pathlib import Path

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
