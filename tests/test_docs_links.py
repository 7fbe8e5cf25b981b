"""The README and docs/ send readers only to files a clone has."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
PATH = re.compile(r"`(\.\./[^`\s]+|docs/[^`\s]+\.md|bench/[^`\s]+\.md)`")


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _targets(document: Path) -> list[str]:
    text = document.read_text()
    found = [t for t in LINK.findall(text) if not re.match(r"[a-z]+://|mailto:", t)]
    return found + PATH.findall(text)


def test_every_link_and_named_file_exists() -> None:
    missing = []
    for document in _documents():
        for target in _targets(document):
            base = ROOT if target.startswith(("docs/", "bench/")) else document.parent
            if not (base / target).exists() or target.startswith("../"):
                missing.append(f"{document.relative_to(ROOT)} -> {target}")
    assert missing == []


def test_the_check_sees_a_file_outside_the_clone(tmp_path: Path) -> None:
    sample = tmp_path / "sample.md"
    sample.write_text("See `../shared/ARCHITECTURE.md` and [the map](missing.md).\n")
    assert _targets(sample) == ["missing.md", "../shared/ARCHITECTURE.md"]
