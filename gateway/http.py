"""GraphQL over HTTP (graphql/graphql-over-http draft): our own layer in front of execution.

It decides the status code and media type, refuses what must not run (a mutation over GET,
an undeterminable operation), and hands a prepared document to the executor.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError, OperationType
from graphql import execute as graphql_execute
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.http.ides import get_graphql_ide_html

from domain.db import writer_bind
from gateway.execution.documents import DocumentCache
from gateway.runtime import Runtime

log = logging.getLogger("gateway.http")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


class HttpError(Exception):
    """A request refused before execution, with its status and a message for the client."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class GraphQLRequest:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None


def _accept(request: Request) -> str:
    """The response media type: graphql-response+json unless only application/json is accepted."""
    header = request.headers.get("accept", "")
    if not header.strip():
        return GRAPHQL_RESPONSE
    types = []
    for part in header.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if q > 0:
            types.append(media.lower())
    for media in types:
        if media in (GRAPHQL_RESPONSE, "application/*", "*/*"):
            return GRAPHQL_RESPONSE
        if media == JSON:
            return JSON
    raise HttpError(406, f"Cannot answer with any of: {header}. Accept {GRAPHQL_RESPONSE}.")


def _wants_ide(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and "query" not in request.query_params


def _parse_request(payload: Any) -> GraphQLRequest:
    if not isinstance(payload, dict):
        raise HttpError(400, "The request body must be a JSON object.")
    query = payload.get("query")
    if not isinstance(query, str) or not query.strip():
        raise HttpError(400, "`query` must be a non-empty string.")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise HttpError(400, "`variables` must be an object.")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise HttpError(400, "`operationName` must be a string.")
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise HttpError(400, "`extensions` must be an object.")
    return GraphQLRequest(query=query, variables=variables, operation_name=operation_name)


async def _read_post(request: Request, max_bytes: int) -> GraphQLRequest:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise HttpError(415, f"Send the request as {JSON}.")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise HttpError(413, f"The request body is larger than {max_bytes} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            raise HttpError(413, f"The request body is larger than {max_bytes} bytes.")
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise HttpError(400, f"The request body is not valid JSON: {error}.") from None
    return _parse_request(payload)


def _read_get(request: Request) -> GraphQLRequest:
    params = request.query_params
    payload: dict[str, Any] = {
        "query": params.get("query"),
        "operationName": params.get("operationName"),
    }
    for name in ("variables", "extensions"):
        raw = params.get(name)
        if raw is not None:
            try:
                payload[name] = orjson.loads(raw)
            except orjson.JSONDecodeError:
                raise HttpError(400, f"`{name}` is not valid JSON.") from None
    return _parse_request(payload)


def _error_body(message: str) -> bytes:
    return orjson.dumps({"errors": [{"message": message}]})


class GraphQLEndpoint:
    """The `/graphql` ASGI endpoint."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.documents = DocumentCache(runtime.schema._schema, runtime.settings.document_cache_size)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        settings = self.runtime.settings
        try:
            if request.method == "GET":
                if _wants_ide(request):
                    if settings.development:
                        return HTMLResponse(get_graphql_ide_html())
                    raise HttpError(400, "`query` is required.")
                media = _accept(request)
                graphql_request = _read_get(request)
            elif request.method == "POST":
                media = _accept(request)
                graphql_request = await _read_post(request, settings.max_body_bytes)
            else:
                raise HttpError(405, "Use GET or POST.", {"Allow": "GET, POST"})
            return await self._execute(request, graphql_request, media)
        except HttpError as error:
            return Response(
                _error_body(error.message),
                status_code=error.status,
                headers=error.headers,
                media_type=JSON,
            )

    async def _execute(self, request: Request, gql: GraphQLRequest, media: str) -> Response:
        prepared = self.documents.get(gql.query)
        if prepared.errors:
            # A request error: the document does not parse or validate. Nothing runs.
            status = 400 if media == GRAPHQL_RESPONSE else 200
            return self._respond({"errors": [e.formatted for e in prepared.errors]}, status, media)
        operation = prepared.operation(gql.operation_name)
        if operation is None:
            message = (
                f"Unknown operation named '{gql.operation_name}'."
                if gql.operation_name
                else "Must provide operation name if query contains multiple operations."
            )
            status = 400 if media == GRAPHQL_RESPONSE else 200
            return self._respond({"errors": [{"message": message}]}, status, media)
        if request.method == "GET" and operation.operation is not OperationType.QUERY:
            raise HttpError(405, "Only queries may be sent with GET; use POST.", {"Allow": "POST"})
        if operation.operation is OperationType.SUBSCRIPTION:
            raise HttpError(400, "Subscriptions are not served over this endpoint.")

        writes = operation.operation is OperationType.MUTATION
        bind = writer_bind(self.runtime.engine) if writes else self.runtime.engine
        async with self.runtime.sessions(bind=bind) as session:
            context = self.runtime.context_for(session, request)
            result = graphql_execute(
                self.runtime.schema._schema,
                prepared.document,  # type: ignore[arg-type]
                context_value=context,
                variable_values=gql.variables,
                operation_name=gql.operation_name,
                executor_class=self.runtime.schema.execution_context_class,
            )
            if not isinstance(result, dict) and hasattr(result, "__await__"):
                result = await result
            if operation.operation is OperationType.MUTATION and not result.errors:
                await session.commit()

        body: dict[str, Any] = {}
        request_error = (
            result.data is None
            and result.errors
            and all(error.path is None for error in result.errors)
        )
        if result.errors:
            body["errors"] = [self._format_error(error) for error in result.errors]
        if not request_error:
            body["data"] = result.data
        status = 400 if request_error and media == GRAPHQL_RESPONSE else 200
        return self._respond(body, status, media)

    def _format_error(self, error: GraphQLError) -> dict[str, Any]:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            return error.formatted
        # An unexpected exception: the log keeps the stack, the client gets an id to quote.
        error_id = uuid.uuid4().hex[:12]
        log.error("unexpected error %s at %s", error_id, error.path, exc_info=original)
        formatted = error.formatted
        if not self.runtime.settings.development:
            formatted["message"] = "Internal error"
        formatted.setdefault("extensions", {})["errorId"] = error_id
        return formatted

    @staticmethod
    def _respond(body: dict[str, Any], status: int, media: str) -> Response:
        return Response(
            orjson.dumps(body, default=_json_default), status_code=status, media_type=media
        )


def _json_default(value: Any) -> Any:
    # Scalars serialize to JSON types already; this is the last guard for anything else.
    return str(value)


__all__ = ["DocumentCache", "GraphQLEndpoint", "HttpError"]
