"""Every message has both translations (ADR 0210): the ids the code marks with `_()` are the
ids of the pt-BR and en catalogs, each translated, with the same placeholders.

`.venv/bin/python -m tests.test_messages` prints how many messages each catalog holds.
"""

from __future__ import annotations

import ast
import functools
import string
from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from domain.i18n import LANGUAGES, Message, _, catalog_path, catalogs

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("domain", "gateway")

# Calls whose argument at this position (or `message=`) is a message for a person: a plain
# string there would never be translated, so it must be a `_()` (or a value made elsewhere).
MESSAGE_ARGUMENTS = {
    "NotAllowed": 0,
    "Conflict": 0,
    "RuleViolation": 1,
    "FieldProblem": 1,
    "one": 1,  # ValidationFailed.one(path, message)
    "HttpError": 1,
    "error_response": 1,
    "refuse": 1,
    "AuthenticationFailed": 0,
    "IdempotencyError": 1,
    "Refused": 1,
    "DocumentRefused": 0,
    "CursorRefused": 0,
    "TvPlatformUnavailableError": 0,
    "Finding": 1,
    "Refusal": 1,
    "ArgumentRefused": 2,
}


@functools.cache
def used_ids() -> frozenset[str]:
    """The message ids `_()` marks in the code, as `pybabel extract` finds them."""
    found = set()
    for package in PACKAGES:
        method_map = [("**.py", "python")]
        options = {"**.py": {}}
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map, options, keywords={"_": None}
        ):
            assert isinstance(message, str), message  # `_` takes one id, no plural
            found.add(message)
    return frozenset(found)


def catalog_entries(language: str) -> dict[str, str]:
    with catalog_path(language).open("rb") as file:
        catalog = read_po(file)
    return {str(m.id): m.string if isinstance(m.string, str) else "" for m in catalog if m.id}


def _fields(template: str) -> set[tuple[str, str]]:
    """The placeholders of a template: (name, conversion) pairs."""
    return {
        (name, conversion or "")
        for _text, name, _spec, conversion in string.Formatter().parse(template)
        if name is not None
    }


@functools.cache
def _parsed() -> tuple[tuple[Path, ast.Module], ...]:
    return tuple(
        (path, ast.parse(path.read_text(encoding="utf-8")))
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    )


def _modules() -> Iterator[tuple[Path, ast.Module]]:
    yield from _parsed()


def test_every_message_the_code_uses_is_in_both_catalogs_translated() -> None:
    used = used_ids()
    assert len(used) > 400
    for language in LANGUAGES:
        entries = catalog_entries(language)
        missing = sorted(used - set(entries))
        assert not missing, f"{language}: not in the catalog (docs/i18n.md): {missing[:10]}"
        untranslated = sorted(i for i in used if not entries[i].strip())
        assert not untranslated, f"{language}: without a translation: {untranslated[:10]}"


def test_no_catalog_keeps_a_message_the_code_no_longer_uses() -> None:
    used = used_ids()
    for language in LANGUAGES:
        stale = sorted(set(catalog_entries(language)) - used)
        assert not stale, f"{language}: no longer used (remove it): {stale[:10]}"


def test_each_translation_has_the_placeholders_of_its_id() -> None:
    for language in LANGUAGES:
        for message_id, translation in catalog_entries(language).items():
            if not translation:
                continue  # the test above names it
            assert _fields(translation) == _fields(message_id), (language, message_id)


def test_the_catalogs_read_at_start_are_the_files() -> None:
    loaded = catalogs()
    assert set(loaded) == set(LANGUAGES)
    for language in LANGUAGES:
        assert loaded[language] == {k: v for k, v in catalog_entries(language).items() if v}


def test_a_message_renders_in_each_language_with_its_values() -> None:
    refused = _("{entity} {key} was not found.", entity=_("Plan"), key=7)
    assert refused.render("en") == "Plan 7 was not found."
    assert refused.render("pt-BR") == "Não encontrado: Plano 7."
    assert str(refused) == "Plan 7 was not found."  # outside a request: English
    assert isinstance(refused, Message) and refused == _(refused.id, entity=_("Plan"), key=7)


def test_every_mark_is_a_literal_the_extractor_can_read() -> None:
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id == "_":
                    assert node.args and isinstance(node.args[0], ast.Constant), (
                        f"{path}:{node.lineno}: _() takes the message id as a literal"
                    )


def test_every_mark_gives_the_values_its_placeholders_name() -> None:
    """A placeholder without its value would fail when the message is read, in production."""
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_"):
                continue
            given = {k.arg for k in node.keywords}
            if None in given or not node.args or not isinstance(node.args[0], ast.Constant):
                continue  # `**values`: checked when rendered; a non-literal: the test above
            named = {name for name, _conversion in _fields(node.args[0].value)}
            assert named == given, f"{path}:{node.lineno}: placeholders {named}, values {given}"


def test_no_module_that_marks_messages_rebinds_the_mark() -> None:
    """`for _ in ...` or `a, _, b = ...` in a function that also calls `_()` would make `_` a
    local there and break the call; such modules use `__` as the throwaway name."""
    for path, tree in _modules():
        imports = any(
            isinstance(n, ast.ImportFrom)
            and n.module == "domain.i18n"
            and any(a.name == "_" for a in n.names)
            for n in ast.walk(tree)
        )
        if not imports:
            continue
        for node in ast.walk(tree):
            stored = (
                isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store)
            )
            argument = isinstance(node, ast.arg) and node.arg == "_"
            assert not (stored or argument), f"{path}:{node.lineno}: `_` rebound"


def test_no_refusal_is_written_as_a_plain_string() -> None:
    """A refusal's message is marked (`_()`), or comes from a value that was: a string literal
    or an f-string in a message's place is a message without translations."""
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            kind = getattr(func, "id", None) or getattr(func, "attr", None)
            if kind not in MESSAGE_ARGUMENTS:
                continue
            position = MESSAGE_ARGUMENTS[kind]
            values = [node.args[position]] if len(node.args) > position else []
            values += [k.value for k in node.keywords if k.arg == "message"]
            for value in values:
                plain = isinstance(value, ast.JoinedStr) or (
                    isinstance(value, ast.Constant) and isinstance(value.value, str)
                )
                assert not plain or _allowed(path, value), (
                    f"{path.relative_to(ROOT)}:{node.lineno}: {kind}'s message is not marked"
                )


# Protocol texts clients compare as they are (Apollo's automatic persisted queries).
_PROTOCOL = {"PersistedQueryNotFound", "provided sha does not match query"}


def _allowed(path: Path, value: ast.expr) -> bool:
    return isinstance(value, ast.Constant) and value.value in _PROTOCOL


if __name__ == "__main__":
    ids = used_ids()
    print(f"{len(ids)} messages in the code")
    for language in LANGUAGES:
        entries = catalog_entries(language)
        print(f"{language}: {sum(1 for i in ids if entries.get(i))} translated")
