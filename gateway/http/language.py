"""The language of each answer (ADR 0210): negotiated once per request from `Accept-Language`,
GATEWAY_LANGUAGE when the client names none we have, and said back in `Content-Language`.

`LanguageEdge` sets `domain.i18n.LANGUAGE` for everything the request runs, so every message
(domain errors, alerts, findings, documents, the wire's own refusals) is written in that
language when it is turned into text; codes and data never change with it.
"""

from __future__ import annotations

import functools

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain.i18n import LANGUAGE, normalize

# A header longer than this is not a list of languages anyone sends; its start is read.
MAX_HEADER = 256


@functools.lru_cache(maxsize=512)
def negotiate(header: str, default: str) -> str:
    """The language to answer in: the first of the client's ranges (highest q first, then in
    the order given) that we have; `*` or nothing we have gives `default`.

    "pt-BR,pt;q=0.9,en;q=0.8" -> pt-BR; "en-US" -> en; "fr, *;q=0.1" -> default.
    """
    ranges: list[tuple[float, int, str]] = []
    for position, part in enumerate(header[:MAX_HEADER].split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        if not tag:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranges.append((-q, position, tag))
    for _q, _position, tag in sorted(ranges):
        if tag == "*":
            return default
        language = normalize(tag)
        if language is not None:
            return language
    return default


class LanguageEdge:
    """ASGI middleware: the request's language for all it runs, and `Content-Language` (with
    `Vary: Accept-Language`) on its answer."""

    def __init__(self, app: ASGIApp, *, default: str) -> None:
        self.app = app
        self.default = normalize(default) or default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = b""
        for name, value in scope["headers"]:
            if name == b"accept-language":
                header = value
                break
        language = negotiate(header.decode("latin-1"), self.default) if header else self.default
        said = language.encode()

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    *message.get("headers", ()),
                    (b"content-language", said),
                    (b"vary", b"Accept-Language"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        token = LANGUAGE.set(language)
        try:
            await self.app(scope, receive, send_with_language)
        finally:
            LANGUAGE.reset(token)
