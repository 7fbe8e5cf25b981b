"""One shape for every error the wire answers, on /graphql and the document routes alike:
`{"errors": [{"message": ..., "extensions": {"code": ..., ...}}]}`, as GraphQL errors are."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from domain.i18n import Message, text

JSON = "application/json"

# A machine-readable code for each refusal, in `errors[0].extensions.code`.
STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "IDEMPOTENCY_KEY_REUSED",
    429: "RATE_LIMITED",
    503: "TIMEOUT",
}


def error_body(message: Message | str, code: str | None = None, **extensions: Any) -> bytes:
    """The body of an answer carrying one error, its message in the request's language (ADR
    0210); `code` goes to `extensions.code`, the same in every language."""
    error: dict[str, Any] = {"message": text(message)}
    if code is not None:
        error["extensions"] = {"code": code, **extensions}
    return orjson.dumps({"errors": [error]})


def error_response(
    status: int,
    message: Message | str,
    code: str,
    *,
    headers: Mapping[str, str] | None = None,
    media_type: str = JSON,
    **extensions: Any,
) -> Response:
    """An HTTP answer carrying one error with its code (and any further extensions)."""
    return Response(
        error_body(message, code, **extensions),
        status_code=status,
        headers=dict(headers or {}),
        media_type=media_type,
    )
