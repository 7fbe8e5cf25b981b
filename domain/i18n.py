"""Messages in the reader's language (pt-BR or en), from the gettext catalogs in domain/locale.

Code marks a message with `_("Plan {plan_id} is cancelled.", plan_id=plan.id)`: the English
text with named placeholders is the message id (gettext's convention, which `pybabel extract`
finds), the values travel beside it, and nothing is translated yet. The text is made when the
message is turned into a string (`str(message)`, `message.render(language)`), in the language
of the request being answered: the gateway negotiates it once per request from
`Accept-Language` and sets `LANGUAGE` (gateway/http/language.py, ADR 0210). Outside a request
(unit tests, a script) the text is English, the catalogs' source language.

The catalogs are the .po files themselves, read with Babel once per process (`catalogs()`);
no compiled .mo file is kept. docs/i18n.md tells how to add a message.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# The languages the gateway answers in, as BCP 47 tags (Content-Language), and the folder of
# each one's catalog below domain/locale.
LANGUAGES = ("pt-BR", "en")
SOURCE_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
_FOLDERS = {"pt-BR": "pt_BR", "en": "en"}

# The language of the request being answered; unset outside a request (English).
LANGUAGE: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=SOURCE_LANGUAGE)


def catalog_path(language: str) -> Path:
    return LOCALE_DIR / _FOLDERS[language] / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def catalogs() -> Mapping[str, Mapping[str, str]]:
    """{language: {message id: translation}} from the .po files, read once per process; an
    entry without a translation is left out (the test suite fails on one)."""
    from babel.messages.pofile import read_po

    loaded: dict[str, dict[str, str]] = {}
    for language in LANGUAGES:
        with catalog_path(language).open("rb") as file:
            catalog = read_po(file, locale=_FOLDERS[language])
        loaded[language] = {
            str(message.id): str(message.string)
            for message in catalog
            if message.id and isinstance(message.string, str) and message.string
        }
    return loaded


def normalize(language: str) -> str | None:
    """ "pt_br", "PT-BR", "pt" -> "pt-BR"; "en-US" -> "en"; a language we lack -> None."""
    tag = language.strip().replace("_", "-").lower()
    if tag == "pt-br" or tag.split("-")[0] == "pt":
        return "pt-BR"
    if tag.split("-")[0] == "en":
        return "en"
    return None


class Message:
    """A message id and its values, made into text in a language only when it is read."""

    __slots__ = ("id", "params")

    def __init__(self, id: str, params: Mapping[str, Any]) -> None:
        self.id = id
        self.params = params

    def render(self, language: str | None = None) -> str:
        """The text in `language` (default: the current request's)."""
        language = language or LANGUAGE.get()
        template = catalogs().get(language, {}).get(self.id) or self.id
        if not self.params:
            return template.format() if "{" in template else template
        values = {
            name: value.render(language) if isinstance(value, Message) else value
            for name, value in self.params.items()
        }
        return template.format_map(values)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"_({self.id!r}{''.join(f', {k}={v!r}' for k, v in self.params.items())})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return self.id == other.id and dict(self.params) == dict(other.params)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.id)


def _(message_id: str, /, **params: Any) -> Message:
    """Marks a message for translation (gettext's `_`): the English text with `{name}`
    placeholders, and the value of each. A value that is a Message is translated too."""
    return Message(message_id, params)


def text(value: str | Message) -> str:
    """A message or an already made text (an ISP's own words, a name), as text now."""
    return value if isinstance(value, str) else value.render()
