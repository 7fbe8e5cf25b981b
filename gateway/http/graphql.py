"""GraphQL over HTTP (graphql/graphql-over-http draft): our own layer in front of execution.

It decides the status code and media type, refuses what must not run (a mutation over GET,
an undeterminable operation), and hands a prepared document to the executor.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import ExecutionResult, GraphQLError, NoSchemaIntrospectionCustomRule, OperationType
from graphql import execute as graphql_execute
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import Response

from domain import statements
from domain.db import writer_bind
from domain.errors import DomainError, FieldProblem
from domain.i18n import _
from domain.identity import Identity
from domain.outages import DatabaseUnavailable, database_unavailable
from gateway.execution import reports as report_plans
from gateway.execution.compiled import (
    CompiledReads,
    Fallback,
    MutationPayloads,
    PayloadCapture,
)
from gateway.execution.documents import DocumentCache
from gateway.execution.inputs import InputBounds, refusals
from gateway.execution.limits import OperationLimits
from gateway.execution.persisted import DocumentRefused, PersistedDocuments
from gateway.execution.planner import Unplannable
from gateway.http import idempotency
from gateway.http.auth import AuthenticationFailed, AuthenticationUnavailable, Authenticator
from gateway.http.errors import STATUS_CODES, error_response
from gateway.http.graphiql import GraphiQL
from gateway.http.outage import SERVICE_UNAVAILABLE
from gateway.http.overload import BodyReader, InFlightLimit, Refused
from gateway.http.ratelimit import Rate, RateLimiter, RateLimitUnavailable
from gateway.http.replicas import Choice, Database
from gateway.http.runtime import Runtime
from gateway.observability import metrics, tracing
from gateway.observability.requests import STATE, RequestNote, note
from gateway.settings import parse_rate

log = logging.getLogger("gateway.http.graphql")

GRAPHQL_RESPONSE = "application/graphql-response+json"
EXECUTOR_HEADER = "x-gateway-executor"  # which read path answered, and why not the compiled one
DATABASE_HEADER = "x-gateway-database"  # with replicas: which database answered, and why
JSON = "application/json"


class _Rerun(Exception):
    """A mutation's resolver raised on the compiled road: the request runs again on the
    standard path, which answers the located error (and commits nothing)."""


class HttpError(Exception):
    """A request refused before execution, with its status and a message for the client."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.code = code  # errors[0].extensions.code; the status's own code when None


@dataclass(frozen=True)
class GraphQLRequest:
    query: str | None  # None only when extensions.persistedQuery names the document
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None = None


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
    raise HttpError(
        406,
        _(
            "Cannot answer with any of: {header}. Accept {graphql_response}.",
            header=header,
            graphql_response=GRAPHQL_RESPONSE,
        ),
    )


def _wants_ide(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and "query" not in request.query_params


def _parse_request(payload: Any) -> GraphQLRequest:
    if not isinstance(payload, dict):
        raise HttpError(400, _("The request body must be a JSON object."))
    query = payload.get("query")
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise HttpError(400, _("`extensions` must be an object."))
    persisted = extensions is not None and "persistedQuery" in extensions
    if not (query is None and persisted) and (not isinstance(query, str) or not query.strip()):
        raise HttpError(400, _("`query` must be a non-empty string."))
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise HttpError(400, _("`variables` must be an object."))
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise HttpError(400, _("`operationName` must be a string."))
    return GraphQLRequest(
        query=query, variables=variables, operation_name=operation_name, extensions=extensions
    )


def _check_post(request: Request, max_bytes: int) -> None:
    """Refuses a POST by its headers alone, before any of its body is read."""
    media, *params = (
        part.strip().lower() for part in request.headers.get("content-type", "").split(";")
    )
    if media != JSON:
        raise HttpError(415, _("Send the request as {json}.", json=JSON))
    for param in params:
        name, __, value = param.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            raise HttpError(415, _("Send the request body encoded as UTF-8."))
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise HttpError(
            413, _("The request body is larger than {max_bytes} bytes.", max_bytes=max_bytes)
        )


def _parse_post(body: bytes) -> GraphQLRequest:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise HttpError(
            400, _("The request body is not valid JSON: {error}.", error=error)
        ) from None
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
                raise HttpError(400, _("`{name}` is not valid JSON.", name=name)) from None
    return _parse_request(payload)


def _request_note(request: Request) -> RequestNote:
    """The request edge's note of this request (a fresh one when called without the edge)."""
    found = note(request.scope)
    if found is None:
        found = request.scope.setdefault("state", {})[STATE] = RequestNote(uuid.uuid4().hex)
    return found


def _with_request_id(errors: list[dict[str, Any]], request_note: RequestNote) -> list[Any]:
    """The errors, each with the request id in its extensions (copies: a cached document's
    errors are shared), their codes noted for the metrics."""
    finished = []
    for error in errors:
        extensions = {**(error.get("extensions") or {}), "requestId": request_note.request_id}
        request_note.error_codes.append(str(extensions.get("code", "NONE")))
        finished.append({**error, "extensions": extensions})
    return finished


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


class GraphQLEndpoint:
    """The `/graphql` ASGI endpoint.

    A request goes through small steps, each of which may refuse it: method and media types,
    identity (gateway.http.auth), rate limits (gateway.http.ratelimit), the body, the document
    (persisted documents, the document cache, limits), idempotency, then execution under a time
    limit.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        settings = runtime.settings
        schema = runtime.schema._schema
        self.documents = DocumentCache(
            schema,
            settings.document_cache_size,
            max_tokens=settings.max_tokens,
            rules=() if settings.introspection_enabled else (NoSchemaIntrospectionCustomRule,),
            hide_suggestions=not settings.field_suggestions_enabled,
        )
        self.limits = OperationLimits(schema, settings)
        self.bounds = InputBounds(schema)
        self.auth = Authenticator(settings, runtime.sessions)
        self.rate_limiter = RateLimiter(
            runtime.counters, fail_open=settings.rate_limit_on_redis_failure == "open"
        )
        self.rate_per_ip = _rate(settings.rate_limit_per_ip)
        self.rate_per_identity = _rate(settings.rate_limit_per_identity)
        self.persisted = PersistedDocuments(settings, runtime.sessions, runtime.redis_breaker)
        self.idempotency = idempotency.Idempotency(settings, runtime.sessions)
        self.in_flight = InFlightLimit(settings.max_in_flight)
        self.bodies = BodyReader(
            max_bytes=settings.max_body_bytes,
            timeout_seconds=settings.body_timeout_seconds,
            per_client=settings.slow_bodies_per_client,
            total=settings.max_slow_bodies,
        )
        self.compiled = (
            CompiledReads(runtime.schema, roots=report_plans.PLANNERS)
            if settings.compiled_reads
            else None
        )
        self.readers = runtime.primary.readers
        self.replicas = runtime.replicas
        self.graphiql = GraphiQL(settings)
        # Subscriptions over SSE, when the app serves them (gateway.http.app sets it).
        self.subscriptions: Any = None  # gateway.http.subscriptions.Subscriptions

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        # Every answer says which read path served it; a refusal or a replay ran neither.
        response.headers.setdefault(
            EXECUTOR_HEADER, f"none; reason=refused ({response.status_code})"
        )
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        settings = self.runtime.settings
        # Refusals before the response media type is known use application/json.
        media = JSON
        try:
            if request.method == "GET" and _wants_ide(request):
                if settings.development:
                    return self.graphiql.ide(request)
                raise HttpError(400, _("`query` is required."))
            if request.method not in ("GET", "POST"):
                raise HttpError(405, _("Use GET or POST."), {"Allow": "GET, POST"})
            if self.subscriptions is not None and self.subscriptions.wants_stream(request):
                return await self._stream(request)
            media = _accept(request)
            await self.limit_rate(f"ip:{client_ip(request)}", self.rate_per_ip, "ip")
            identity = await self._authenticate(request)
            _request_note(request).identity = identity.role.value.lower()
            await self.limit_rate(f"id:{identity.subject}", self.rate_per_identity, "identity")
            if request.method == "GET":
                graphql_request = _read_get(request)
            else:
                # The whole body first, under its deadline; only then an in-flight slot, so a
                # client that stalls mid-body holds a socket, not a slot (ADR 0132).
                graphql_request = await self.read_post(request, identity)
            with self.in_flight.slot():
                return await self._execute(request, identity, graphql_request, media)
        except Refused as error:
            headers = {} if error.retry_after is None else {"Retry-After": str(error.retry_after)}
            if error.status != 503:
                headers["Connection"] = "close"  # the rest of the body is never read
            request_note = _request_note(request)
            request_note.error_codes.append(error.code)
            return error_response(
                error.status,
                error.message,
                error.code,
                headers=headers,
                media_type=media,
                requestId=request_note.request_id,
            )
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is left to read it
        except HttpError as error:
            request_note = _request_note(request)
            code = error.code or STATUS_CODES.get(error.status, "BAD_REQUEST")
            request_note.error_codes.append(code)
            return error_response(
                error.status,
                error.message,
                code,
                headers=error.headers,
                media_type=media,
                requestId=request_note.request_id,
            )

    async def _stream(self, request: Request) -> Response:
        """A subscription over Server-Sent Events (gateway.http.subscriptions)."""
        assert self.subscriptions is not None
        await self.limit_rate(f"ip:{client_ip(request)}", self.rate_per_ip, "ip")
        header = request.headers.get("authorization")
        identity, until = await self.authenticate(header)
        _request_note(request).identity = identity.role.value.lower()
        await self.limit_rate(f"id:{identity.subject}", self.rate_per_identity, "identity")
        if request.method == "GET":
            gql = _read_get(request)
        else:
            gql = await self.read_post(request, identity)
        payload = {
            "query": gql.query,
            "variables": gql.variables,
            "operationName": gql.operation_name,
            "extensions": gql.extensions,
        }
        standard = request.headers.get(EXECUTOR_HEADER) == "standard"
        return await self.subscriptions.sse(identity, until, payload, standard, header)

    async def read_post(self, request: Request, identity: Identity) -> GraphQLRequest:
        """A POST's GraphQL request: its headers checked, then its whole body read under its
        deadline, slow bodies bounded per client IP and per caller (ADR 0132)."""
        _check_post(request, self.runtime.settings.max_body_bytes)
        keys = (f"ip:{client_ip(request)}", f"caller:{identity.caller_key}")
        return _parse_post(await self.bodies.read(request.receive, keys))

    async def _authenticate(self, request: Request) -> Identity:
        """The caller; anonymous callers are refused (they get /healthz and /readyz only)."""
        identity, _until = await self.authenticate(request.headers.get("authorization"))
        return identity

    async def authenticate(self, header: str | None) -> tuple[Identity, float | None]:
        """The caller an Authorization header value names, and until when its credentials
        hold (None: they do not expire); HttpError 401 or 503 when it cannot be had."""
        challenge = {"WWW-Authenticate": 'Bearer realm="gateway"'}
        try:
            identity, until = await self.auth.credentials(header)
        except AuthenticationFailed as error:
            challenge["WWW-Authenticate"] += ', error="invalid_token"'
            raise HttpError(401, error.message, challenge) from None
        except AuthenticationUnavailable:
            raise HttpError(
                503,
                _("Tokens cannot be checked now: the identity provider's keys are unavailable."),
                {"Retry-After": "5"},
                code="SERVICE_UNAVAILABLE",
            ) from None
        if identity is None:
            raise HttpError(401, _("Authenticate with `Authorization: Bearer <token>`."), challenge)
        return identity, until

    async def limit_rate(self, bucket: str, rate: Rate | None, kind: str = "identity") -> None:
        """Counts a hit; 429 past the limit (counted by `kind` of limit: ip or identity)."""
        try:
            wait = await self.rate_limiter.hit(bucket, rate)
        except RateLimitUnavailable as error:
            raise HttpError(
                503,
                _("Rate limits cannot be counted right now (Redis is unavailable); retry later."),
                {"Retry-After": str(error.retry_after)},
                code=SERVICE_UNAVAILABLE,
            ) from None
        if wait is not None:
            assert rate is not None
            metrics.RATE_LIMITED.labels(kind).inc()
            raise HttpError(
                429,
                _(
                    "Too many requests: the limit is {count} per {seconds} s.",
                    count=rate.count,
                    seconds=rate.seconds,
                ),
                {"Retry-After": str(wait)},
            )

    def _request_error(
        self, request: Request, errors: list[dict[str, Any]], media: str
    ) -> Response:
        """A GraphQL request error: nothing ran. 400 with the new media type, 200 with the old."""
        errors = [{**e, "message": str(e["message"])} for e in errors]  # in the reader's language
        if not self.runtime.settings.field_suggestions_enabled:
            errors = [{**e, "message": _SUGGESTION.sub("", e["message"])} for e in errors]
        status = 400 if media == GRAPHQL_RESPONSE else 200
        errors = _with_request_id(errors, _request_note(request))
        return self._respond({"errors": errors}, status, media)

    async def _execute(
        self, request: Request, identity: Identity, gql: GraphQLRequest, media: str
    ) -> Response:
        settings = self.runtime.settings
        try:
            resolved = await self.persisted.resolve(gql.query, gql.extensions)
        except DocumentRefused as error:
            if error.code == "BAD_REQUEST":
                raise HttpError(400, error.message) from None
            return self._request_error(
                request,
                [{"message": str(error.message), "extensions": {"code": error.code}}],
                media,
            )
        query = resolved.text
        if len(query.encode()) > settings.max_document_bytes:
            message = _(
                "The document is larger than the limit of {max_document_bytes} bytes.",
                max_document_bytes=settings.max_document_bytes,
            )
            return self._request_error(
                request,
                [{"message": message, "extensions": {"code": "LIMIT_EXCEEDED", "limit": "size"}}],
                media,
            )
        with tracing.span("graphql.parse_validate"):
            prepared = self.documents.get(query)
        if prepared.errors:
            # A request error: the document does not parse or validate. Nothing runs.
            parsed = prepared.document is not None
            code = "GRAPHQL_VALIDATION_FAILED" if parsed else "GRAPHQL_PARSE_FAILED"
            errors = [_with_code(error.formatted, code) for error in prepared.errors]
            return self._request_error(request, errors, media)
        operation = prepared.operation(gql.operation_name)
        if operation is None:
            message = (
                _("Unknown operation named '{operation_name}'.", operation_name=gql.operation_name)
                if gql.operation_name
                else _("Must provide operation name if query contains multiple operations.")
            )
            return self._request_error(
                request,
                [{"message": message, "extensions": {"code": "OPERATION_RESOLUTION_FAILURE"}}],
                media,
            )
        request_note = _request_note(request)
        request_note.operation = gql.operation_name or (
            operation.name.value if operation.name is not None else None
        )
        request_note.operation_type = operation.operation.value
        if request.method == "GET" and operation.operation is not OperationType.QUERY:
            raise HttpError(
                405, _("Only queries may be sent with GET; use POST."), {"Allow": "POST"}
            )
        if operation.operation is OperationType.SUBSCRIPTION:
            raise HttpError(400, _("Subscriptions are not served over this endpoint."))
        assert prepared.document is not None
        exceeded = self.limits.check(prepared.document, operation, gql.variables)
        if exceeded is not None:
            return self._request_error(request, [exceeded.as_error()], media)
        # Strings, lists and decimals past their bounds (ADR 0120): a root field that can
        # answer ValidationError does so, as data; anything else refuses the request.
        problems = self.bounds.check(prepared.document, operation, gql.variables)
        if problems and not self.bounds.refusable(operation, problems):
            return self._request_error(request, [problem.as_error() for problem in problems], media)
        refused = refusals(problems)
        # Only now, with every check passed, is an APQ text worth keeping (ADR 0084).
        await self.persisted.store(resolved)

        mutation = operation.operation is OperationType.MUTATION
        key = None
        if mutation:
            try:
                key = idempotency.key_of(request)
                if key is not None:
                    request_hash = idempotency.fingerprint(query, gql.operation_name, gql.variables)
                    replayed = await self.idempotency.claim(identity.caller_key, key, request_hash)
                    if replayed is not None:
                        replayed.headers[EXECUTOR_HEADER] = "none; reason=idempotent replay"
                        return replayed
            except idempotency.IdempotencyError as error:
                raise HttpError(error.status, error.message) from None

        request_id = request_note.request_id
        committed = False
        try:
            async with asyncio.timeout(settings.request_timeout_seconds):
                executor = "standard; reason=a mutation"
                payloads = None
                if mutation:
                    if refused:
                        executor = "standard; reason=refused input"
                    else:
                        payloads, executor = self._payload_plan(
                            request, prepared, operation, query, gql
                        )
                    request_note.executor = "compiled" if executor == "compiled" else "standard"
                    arguments = (request, identity, prepared.document, gql, media, request_id)
                    try:
                        response, committed = await self._run(
                            *arguments, mutation=True, key=key, payloads=payloads, refused=refused
                        )
                    except _Rerun as reason:
                        # A resolver raised on the compiled road; nothing of it was committed.
                        executor = f"standard; reason={reason}"
                        request_note.executor = "standard"
                        response, committed = await self._run(
                            *arguments, mutation=True, key=key, refused=refused
                        )
                    response.headers.setdefault(EXECUTOR_HEADER, executor)
                    if self.replicas is not None:
                        response.headers[DATABASE_HEADER] = "primary; reason=a mutation"
                    return response
                return await self._read(
                    request, identity, prepared, operation, query, gql, media, refused
                )
        except TimeoutError:
            log.warning("request stopped after %s s", settings.request_timeout_seconds)
            metrics.OVERLOADED.labels("timeout").inc()
            raise HttpError(
                503,
                _(
                    "The request took longer than {request_timeout_seconds:g} s and was stopped; "
                    "nothing was changed.",
                    request_timeout_seconds=settings.request_timeout_seconds,
                ),
                {"Retry-After": "1"},
            ) from None
        finally:
            if key is not None and not committed:
                # Nothing was committed: a retry must be free to run the mutation.
                try:
                    await self.idempotency.release(identity.caller_key, key)
                except Exception as error:
                    if not database_unavailable(error):
                        raise
                    # The claim stays pending; a retry takes it over once it is stale.
                    log.warning("idempotency claim not released: the database is unavailable")

    async def _read(
        self,
        request: Request,
        identity: Identity,
        prepared: Any,
        operation: Any,
        query: str,
        gql: GraphQLRequest,
        media: str,
        refused: dict[str, list[FieldProblem]],
    ) -> Response:
        """A query, on a replica when one may answer it (ADR 0230), else on the primary; a
        replica that fails mid-read is skipped and the read runs again on the primary."""

        async def read_on(database: Database) -> Response:
            return await self._read_on(
                database, request, identity, prepared, operation, query, gql, media, refused
            )

        if self.replicas is None:
            return await read_on(self.runtime.primary)
        choice = await self.replicas.choose(identity.caller_key)
        try:
            response = await read_on(choice.database)
        except Exception as error:
            if choice.database.replica is None or not database_unavailable(error):
                raise
            self.replicas.failed(choice.database, error)
            choice = Choice(self.runtime.primary, "replica failed")
            response = await read_on(choice.database)
        where = choice.database.name
        response.headers[DATABASE_HEADER] = (
            where if choice.reason == "replica" else f"{where}; reason={choice.reason}"
        )
        return response

    async def _read_on(
        self,
        database: Database,
        request: Request,
        identity: Identity,
        prepared: Any,
        operation: Any,
        query: str,
        gql: GraphQLRequest,
        media: str,
        refused: dict[str, list[FieldProblem]],
    ) -> Response:
        """A query on `database`: the compiled path when it can answer, else the standard one."""
        request_note = _request_note(request)
        request_id = request_note.request_id
        if refused:
            executor = "standard; reason=refused input"
        else:
            compiled, executor = await self._run_compiled(
                request, identity, prepared, operation, query, gql, media, request_id, database
            )
            if compiled is not None:
                request_note.executor = "compiled"
                return compiled
        request_note.executor = "standard"
        response, _committed = await self._run(
            request,
            identity,
            prepared.document,
            gql,
            media,
            request_id,
            mutation=False,
            key=None,
            refused=refused,
            database=database,
        )
        response.headers.setdefault(EXECUTOR_HEADER, executor)
        return response

    def _payload_plan(
        self,
        request: Request,
        prepared: Any,
        operation: Any,
        query: str,
        gql: GraphQLRequest,
    ) -> tuple[tuple[MutationPayloads, Any] | None, str]:
        """The planned payloads of a mutation (and its coerced variables), or None and why
        graphql-core completes them."""
        if self.compiled is None:
            return None, "standard; reason=compiled reads are off"
        if request.headers.get(EXECUTOR_HEADER) == "standard":
            return None, "standard; reason=asked for"
        try:
            plan, variables = self.compiled.prepare(prepared, operation, query, gql.variables)
        except Unplannable as reason:
            return None, f"standard; reason={reason}"
        return (plan, variables), plan.executor

    async def _run_compiled(
        self,
        request: Request,
        identity: Identity,
        prepared: Any,
        operation: Any,
        query: str,
        gql: GraphQLRequest,
        media: str,
        request_id: str,
        database: Database,
    ) -> tuple[Response | None, str]:
        """The compiled read path's answer, or None and why the standard path must answer."""
        if self.compiled is None:
            return None, "standard; reason=compiled reads are off"
        if request.headers.get(EXECUTOR_HEADER) == "standard":
            return None, "standard; reason=asked for"
        # Subscribers', resellers' and voice subscribers' row filters are compiled into the
        # batched statements; staff lacking a read permission get the fields that need it
        # null, with the standard path's errors (ADR 0006).
        try:
            with tracing.span("graphql.plan"):
                plan, variables = self.compiled.prepare(prepared, operation, query, gql.variables)
            # A driver connection, without the ORM session the compiled path does not use,
            # taken when the first statement runs.
            with tracing.span("graphql.execute", **{"gateway.executor": "compiled"}):
                async with database.readers.lazy() as reader:
                    data, errors = await plan.run(
                        reader,
                        self.runtime.settings,
                        variables,
                        identity,
                        sessions=database.session_factory(),
                        request=request,
                    )
        except (Unplannable, Fallback) as reason:
            return None, f"standard; reason={reason}"
        except Exception as error:
            if database_unavailable(error):
                raise  # the standard path would meet the same outage: 503 (gateway.http.outage)
            log.exception("compiled read path failed; answering on the standard path")
            return None, "standard; reason=compiled path failed"
        body: dict[str, Any] = {}
        if errors:
            # The same errors as the standard path's, request id included.
            formatted = in_response_order([self._format_error(e, request_id) for e in errors], data)
            body["errors"] = _with_request_id(formatted, _request_note(request))
        body["data"] = data
        response = self._respond(body, 200, media)
        response.headers[EXECUTOR_HEADER] = "compiled"
        return response, "compiled"

    async def _run(
        self,
        request: Request,
        identity: Identity,
        document: Any,
        gql: GraphQLRequest,
        media: str,
        request_id: str,
        *,
        mutation: bool,
        key: str | None,
        refused: dict[str, list[FieldProblem]],
        payloads: tuple[MutationPayloads, Any] | None = None,
        database: Database | None = None,
    ) -> tuple[Response, bool]:
        """Executes the operation in one session; a mutation commits once, at the end.

        A mutation's planned payloads are built by the planner from what its resolvers
        returned, reading its own transaction's rows, before the commit (ADR 0006).
        Returns the response and whether a mutation's changes were committed.
        """
        # A mutation takes SQLite's write lock up front (domain.db.writer_bind); a read runs
        # where it was sent (a replica, or the primary).
        bind = (
            writer_bind(self.runtime.engine)
            if mutation
            else (database or self.runtime.primary).engine
        )
        async with self.runtime.sessions(bind=bind) as session:
            context = self.runtime.context_for(session, request, identity=identity)
            context.refused = refused
            captured: dict[str, Any] = {}
            if payloads is not None and payloads[0].direct:
                # Every payload planned: the resolvers run without graphql-core (ADR 0250).
                with tracing.span("graphql.execute", **{"gateway.executor": "compiled"}):
                    try:
                        captured = await payloads[0].resolve(payloads[1], context)
                    except Fallback as reason:
                        cause = reason.__cause__
                        if cause is not None and database_unavailable(cause):
                            raise cause from None  # 503, as on the standard path
                        raise _Rerun(str(reason)) from cause  # its session rolls back
                result = ExecutionResult(dict.fromkeys(captured), None)
                for name in captured.keys() - payloads[0].payloads.keys():
                    result.data[name] = captured.pop(name)  # type: ignore[index]  # __typename
            else:
                options: dict[str, Any] = {}
                if payloads is not None:
                    options = {
                        "executor_class": PayloadCapture,
                        "payloads": payloads[0],
                        "captured": captured,
                    }
                with tracing.span("graphql.execute", **{"gateway.executor": "standard"}):
                    result = graphql_execute(
                        self.runtime.schema._schema,
                        document,
                        context_value=context,
                        variable_values=gql.variables,
                        operation_name=gql.operation_name,
                        **(
                            {"executor_class": self.runtime.schema.execution_context_class}
                            | options
                        ),
                    )
                    if not isinstance(result, dict) and hasattr(result, "__await__"):
                        result = await result
            await context.db.finish()  # no read may outlive the answer, or use the closed session
            if captured and payloads is not None and result.data is not None:
                # On the mutation's own connection: its transaction's rows, as loaders see them.
                reader = await statements.reader(session)
                built, denied = await payloads[0].build(
                    reader, captured, self.runtime.settings, payloads[1], identity
                )
                result.data.update(built)
                if denied:
                    result.errors = [*(result.errors or ()), *denied]

            body: dict[str, Any] = {}
            request_error = (
                result.data is None
                and result.errors
                and all(error.path is None for error in result.errors)
            )
            if result.errors:
                _raise_outage(result.errors)
                formatted = in_response_order(
                    [self._format_error(e, request_id) for e in result.errors], result.data
                )
                if request_error:
                    # Nothing ran: the variables do not fit the operation's declarations.
                    errors = [_with_code(e, "BAD_USER_INPUT") for e in formatted]
                    refused = self._request_error(request, errors, media)
                    refused.headers[EXECUTOR_HEADER] = "none; reason=variables do not fit"
                    return refused, False
                body["errors"] = _with_request_id(formatted, _request_note(request))
            body["data"] = result.data
            response = self._respond(body, 200, media)
            if not mutation or result.errors:
                return response, False  # after an unexpected error nothing is committed
            if key is not None:
                await self.idempotency.complete(
                    session,
                    caller=identity.caller_key,
                    key=key,
                    status=response.status_code,
                    media_type=media,
                    body=bytes(response.body),
                )
            await session.commit()
            if self.replicas is not None:
                # This caller's reads must see what it just committed (ADR 0230).
                await self.replicas.wrote(identity.caller_key, session)
            return response, True

    def _format_error(self, error: GraphQLError, request_id: str) -> dict[str, Any]:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            return error.formatted
        if isinstance(original, DomainError):
            # A refusal the domain raised during a read (NotAllowed naming a permission): it
            # is meant for the client, in production too.
            formatted = error.formatted
            extensions = formatted.setdefault("extensions", {})
            extensions["code"] = _code(type(original).__name__)
            permission = getattr(original, "permission", None)
            if permission is not None:
                extensions["permission"] = permission
            return formatted
        # An unexpected exception: the log keeps the stack, the client gets ids to quote.
        error_id = uuid.uuid4().hex[:12]
        log.error(
            "unexpected error %s in request %s at %s",
            error_id,
            request_id,
            error.path,
            exc_info=original,
        )
        formatted = error.formatted
        if not self.runtime.settings.development:
            formatted["message"] = str(_("Internal error"))
        extensions = formatted.setdefault("extensions", {})
        extensions.update({"errorId": error_id, "requestId": request_id})
        return formatted

    @staticmethod
    def _respond(body: dict[str, Any], status: int, media: str) -> Response:
        return Response(
            orjson.dumps(body, default=_json_default), status_code=status, media_type=media
        )


def in_response_order(errors: list[dict[str, Any]], data: Any) -> list[dict[str, Any]]:
    """Field errors in the order their paths appear in the answer, on both read paths.

    graphql-core lists errors as its tasks happen to finish (a list of one item completes a
    step earlier than a longer one), an order the compiled path could not reproduce; response
    order is the same on both and does not move with scheduling. Errors at the same place, or
    without a path, keep their order.
    """
    if len(errors) < 2:
        return errors

    def rank(error: dict[str, Any]) -> tuple[int, ...]:
        ranks = []
        value = data
        for step in error.get("path") or ():
            if isinstance(value, dict) and step in value:
                ranks.append(list(value).index(step))
                value = value[step]
            elif isinstance(value, list) and isinstance(step, int) and step < len(value):
                ranks.append(step)
                value = value[step]
            else:  # under a parent nulled by the error: no further place in the answer
                ranks.append(step if isinstance(step, int) else 0)
                value = None
        return tuple(ranks)

    return sorted(errors, key=rank)


def _raise_outage(errors: list[GraphQLError]) -> None:
    """A field that failed because the database is unavailable fails the whole request: 503
    with Retry-After (gateway.http.outage), not a partial answer with "Internal error"."""
    for error in errors:
        original = error.original_error
        if original is not None and database_unavailable(original):
            raise DatabaseUnavailable(str(original)) from original


def _with_code(error: dict[str, Any], code: str) -> dict[str, Any]:
    """The formatted error with `extensions.code` set, unless it already has one."""
    extensions = error.get("extensions") or {}
    if "code" in extensions:
        return error
    return {**error, "extensions": {**extensions, "code": code}}


def _code(name: str) -> str:
    """NotAllowed -> NOT_ALLOWED."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


def _rate(raw: str) -> Rate | None:
    parsed = parse_rate(raw)
    return None if parsed is None else Rate(*parsed)


def client_ip(request: HTTPConnection) -> str:
    """The client's address (a request's or a WebSocket's), as the rate limits key it."""
    # Behind a proxy, run uvicorn with --proxy-headers and --forwarded-allow-ips so that
    # request.client is the real client (docs/security.md).
    return request.client.host if request.client else "unknown"


def _json_default(value: Any) -> Any:
    # Scalars serialize to JSON types already; this is the last guard for anything else.
    return str(value)


__all__ = ["DocumentCache", "GraphQLEndpoint", "HttpError"]
