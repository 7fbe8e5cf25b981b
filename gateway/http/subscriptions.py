"""GraphQL subscriptions over WebSocket (graphql-transport-ws) and Server-Sent Events (ADR 0221).

Both protocols share `Subscriptions`: the document goes through the same checks as a query's
(persisted documents, size, parse and validation, operation limits, input bounds), the caller
through the same authentication, and each event is read with the caller's own scope, on the
compiled plan of its selection (gateway.execution.events) or else by graphql-core's
`subscribe` over the Subscription resolvers.

WebSocket: `/graphql` with the `graphql-transport-ws` subprotocol (the graphql-ws library's),
the token in `connection_init`'s payload. SSE: POST (or GET) `/graphql` with
`Accept: text/event-stream`, one subscription per request (the graphql-sse protocol's
"distinct connections" mode), the token in the Authorization header. The close codes are
listed in docs/realtime.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import ExecutionResult, GraphQLError, OperationType
from graphql import subscribe as graphql_subscribe
from graphql.execution.values import get_argument_values
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response, StreamingResponse
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from domain.errors import DomainError
from domain.i18n import LANGUAGE, Message, _, text
from domain.identity import Identity
from domain.outages import database_unavailable
from gateway.execution.events import EventPlan, EventPlans
from gateway.execution.persisted import DocumentRefused
from gateway.execution.planner import Unplannable
from gateway.http.errors import STATUS_CODES, error_response
from gateway.http.graphql import HttpError, _parse_request, client_ip
from gateway.http.language import negotiate
from gateway.http.runtime import Runtime
from gateway.http.slots import LimitReached, Slot, SlotsUnavailable, SubscriptionSlots
from gateway.observability import metrics
from gateway.realtime.hub import Events, Hub, SlowConsumer
from gateway.resolvers.subscriptions import Topic, topic_for

log = logging.getLogger("gateway.http.subscriptions")

PROTOCOL = "graphql-transport-ws"

# Close codes: the protocol's own, then the gateway's (docs/realtime.md).
BAD_REQUEST = 4400
UNAUTHORIZED = 4401  # a subscribe before the ack, or the token expired
FORBIDDEN = 4403  # connection_init's credentials refused
SUBPROTOCOL = 4406
INIT_TIMEOUT = 4408
DUPLICATE_ID = 4409
TOO_MANY_INITS = 4429
SLOW_CONSUMER = 4008
UNAVAILABLE = 4503  # the credentials cannot be checked now (the identity provider's keys)
GOING_AWAY = 1001
# How long a stopping process waits for its sockets to close with 1001.
CLOSE_SECONDS = 2.0


class Refusal(Exception):
    """A subscription that cannot start: GraphQL errors for the client, an HTTP status for
    SSE."""

    def __init__(
        self, errors: list[dict[str, Any]], status: int = 400, retry_after: int | None = None
    ) -> None:
        super().__init__(errors[0]["message"] if errors else "refused")
        self.errors = errors
        self.status = status
        self.retry_after = retry_after


def _error(message: Message | str, code: str, **extensions: Any) -> dict[str, Any]:
    """One GraphQL error, its message in the caller's language."""
    return {"message": text(message), "extensions": {"code": code, **extensions}}


@dataclass
class Prepared:
    """A subscription operation ready to follow its topic."""

    field: str
    topic: Topic
    document: Any
    variables: dict[str, Any] | None
    operation_name: str | None
    plan: EventPlan | None  # None: the standard path
    request_id: str


class Subscriptions:
    """Subscriptions of one app: checks, limits, and the running of each."""

    def __init__(self, runtime: Runtime, endpoint: Any, hub: Hub) -> None:
        self.runtime = runtime
        self.endpoint = endpoint  # gateway.http.graphql.GraphQLEndpoint: checks and readers
        self.hub = hub
        self.settings = runtime.settings
        self.plans = EventPlans(runtime.schema) if self.settings.compiled_reads else None
        # Shared by every process when Redis is configured (ADR 0260).
        self.slots = SubscriptionSlots(
            self.settings.subscriptions_per_identity,
            breaker=runtime.redis_breaker,
            renew_seconds=self.settings.ws_keepalive_seconds,
            fail_open=self.settings.rate_limit_on_redis_failure == "open",
        )
        self.connections: weakref.WeakSet[Any] = weakref.WeakSet()
        self.closing = False

    # ------------------------------------------------------------------------- limits

    async def rate_refusal(
        self, connection: HTTPConnection, identity: Identity | None = None
    ) -> HttpError | None:
        """Counts a WebSocket upgrade or a subscribe as the HTTP layer counts a request (per
        client IP, then, given the identity, per identity: the same limiter and buckets); the
        refusal past a limit, else None."""
        endpoint = self.endpoint
        try:
            await endpoint.limit_rate(f"ip:{client_ip(connection)}", endpoint.rate_per_ip, "ip")
            if identity is not None:
                await endpoint.limit_rate(f"id:{identity.subject}", endpoint.rate_per_identity)
        except HttpError as error:
            return error
        return None

    async def limit_rate(
        self, identity: Identity, connection: HTTPConnection
    ) -> list[dict[str, Any]] | None:
        """A subscribe's rate limits (`rate_refusal`); the errors to answer past one."""
        error = await self.rate_refusal(connection, identity)
        if error is None:
            return None
        retry_after = int((error.headers or {}).get("Retry-After", "1"))
        code = error.code or STATUS_CODES[error.status]
        return [_error(error.message, code, retryAfter=retry_after)]

    async def take(self, identity: Identity) -> Slot:
        """A place under the identity's limit of subscriptions, across every process that
        shares Redis (ADR 0260); Refusal past it (429 over SSE), or 503 when it cannot be
        counted and the limits fail closed."""
        limit = self.settings.subscriptions_per_identity
        try:
            return await self.slots.take(identity.caller_key)
        except LimitReached:
            metrics.SUBSCRIPTIONS_ENDED.labels("limit").inc()
            raise Refusal(
                [
                    _error(
                        _("At most {limit} subscriptions may be open per identity.", limit=limit),
                        "LIMIT_EXCEEDED",
                        limit="subscriptions per identity",
                    )
                ],
                429,
            ) from None
        except SlotsUnavailable as error:
            raise Refusal(
                [
                    _error(
                        _(
                            "Subscriptions cannot be counted right now (Redis is unavailable); "
                            "retry later."
                        ),
                        "SERVICE_UNAVAILABLE",
                        retryAfter=error.retry_after,
                    )
                ],
                503,
                retry_after=error.retry_after,
            ) from None

    def release(self, slot: Slot) -> None:
        self.slots.release(slot)

    # ------------------------------------------------------------------ the document

    async def prepare(
        self, identity: Identity, payload: Any, *, standard: bool = False
    ) -> Prepared:
        """The subscription a subscribe payload ({query, variables, operationName,
        extensions}) asks for, checked as a query would be; Refusal otherwise. `standard`:
        the standard path was asked for (as `x-gateway-executor: standard` asks over HTTP)."""
        try:
            gql = _parse_request(payload)
        except HttpError as error:
            raise Refusal([_error(error.message, "BAD_REQUEST")]) from None
        endpoint = self.endpoint
        settings = self.settings
        try:
            resolved = await endpoint.persisted.resolve(gql.query, gql.extensions)
        except DocumentRefused as error:
            raise Refusal([_error(error.message, error.code)]) from None
        query = resolved.text
        if len(query.encode()) > settings.max_document_bytes:
            raise Refusal(
                [
                    _error(
                        _(
                            "The document is larger than the limit of {max_document_bytes} bytes.",
                            max_document_bytes=settings.max_document_bytes,
                        ),
                        "LIMIT_EXCEEDED",
                        limit="size",
                    )
                ]
            )
        prepared = endpoint.documents.get(query)
        if prepared.errors:
            code = (
                "GRAPHQL_VALIDATION_FAILED"
                if prepared.document is not None
                else "GRAPHQL_PARSE_FAILED"
            )
            raise Refusal(
                [
                    {**e.formatted, "extensions": {**(e.extensions or {}), "code": code}}
                    for e in prepared.errors
                ]
            )
        operation = prepared.operation(gql.operation_name)
        if operation is None:
            raise Refusal(
                [
                    _error(
                        _(
                            "Unknown operation named '{operation_name}'.",
                            operation_name=gql.operation_name,
                        )
                        if gql.operation_name
                        else _(
                            "Must provide operation name if query contains multiple operations."
                        ),
                        "OPERATION_RESOLUTION_FAILURE",
                    )
                ]
            )
        if operation.operation is not OperationType.SUBSCRIPTION:
            raise Refusal(
                [
                    _error(
                        _(
                            "Only subscriptions are served here: send queries and mutations "
                            "with POST /graphql."
                        ),
                        "BAD_REQUEST",
                    )
                ]
            )
        assert prepared.document is not None
        exceeded = endpoint.limits.check(prepared.document, operation, gql.variables)
        if exceeded is not None:
            raise Refusal([exceeded.as_error()])
        problems = endpoint.bounds.check(prepared.document, operation, gql.variables)
        if problems:
            raise Refusal([problem.as_error() for problem in problems])
        await endpoint.persisted.store(resolved)

        plan = None
        if not standard and self.plans is not None:
            # Unplannable: graphql-core's subscribe over the resolvers answers instead.
            with contextlib.suppress(Unplannable):
                plan = self.plans.prepare(prepared, operation, query, gql.variables)
        field, arguments = self._root(plan, prepared, operation, gql.variables)
        try:
            topic = topic_for(field, arguments, identity)
        except DomainError as error:
            extensions: dict[str, Any] = {"code": _code(type(error).__name__)}
            permission = getattr(error, "permission", None)
            if permission is not None:
                extensions["permission"] = permission
            raise Refusal(
                [{"message": text(error.message), "extensions": extensions}], 403
            ) from None
        return Prepared(
            field=field,
            topic=topic,
            document=prepared.document,
            variables=gql.variables,
            operation_name=gql.operation_name,
            plan=plan,
            request_id=uuid.uuid4().hex,
        )

    def _root(
        self, plan: EventPlan | None, prepared: Any, operation: Any, inputs: Any
    ) -> tuple[str, dict[str, Any]]:
        """The root field's name and coerced arguments (graphql-core's own coercion)."""
        if plan is not None:
            return plan.field, plan.arguments()
        from graphql.execution.collect_fields import FragmentDetails, collect_fields
        from graphql.execution.values import get_variable_values

        schema = self.runtime.schema._schema
        variables = get_variable_values(schema, operation.variable_definitions or (), inputs or {})
        if isinstance(variables, list):
            raise Refusal(
                [{**e.formatted, "extensions": {"code": "BAD_USER_INPUT"}} for e in variables]
            )
        fragments = {
            d.name.value: FragmentDetails(d)
            for d in prepared.document.definitions
            if d.kind == "fragment_definition"
        }
        subscription_type = schema.subscription_type
        assert subscription_type is not None
        grouped = collect_fields(
            schema, fragments, variables, subscription_type, operation
        ).grouped_field_set
        if len(grouped) != 1:  # every field skipped (@skip, @include)
            raise Refusal(
                [
                    _error(
                        _("A subscription selects exactly one field of Subscription."),
                        "BAD_REQUEST",
                    )
                ]
            )
        details = next(iter(grouped.values()))
        node = details[0].node
        name = node.name.value
        if name not in subscription_type.fields:
            raise Refusal(
                [
                    _error(
                        _("A subscription selects exactly one field of Subscription."),
                        "BAD_REQUEST",
                    )
                ]
            )
        field_def = subscription_type.fields[name]
        return name, get_argument_values(field_def, node, variables)

    # -------------------------------------------------------------------- running one

    async def run(
        self,
        prepared: Prepared,
        identity: Identity,
        emit: Callable[[dict[str, Any]], Awaitable[None]],
        on_overflow: Callable[[], None],
        protocol: str,
    ) -> None:
        """Follows the topic and emits each event's payload until cancelled (or the stream
        ends with an error, emitted first)."""
        gauge = metrics.SUBSCRIPTIONS_OPEN.labels(prepared.field, protocol)
        if prepared.plan is not None:
            feed = self.hub.open(prepared.topic, self.settings.subscription_queue, on_overflow)
            gauge.inc()
            try:
                await self._compiled(prepared, prepared.plan, identity, feed, emit)
            finally:
                feed.close()
                gauge.dec()
            return
        counted = False

        def followed() -> None:
            nonlocal counted
            counted = True
            gauge.inc()

        try:
            await self._standard(prepared, identity, emit, on_overflow, followed)
        finally:
            if counted:
                gauge.dec()

    async def _compiled(
        self,
        prepared: Prepared,
        plan: EventPlan,
        identity: Identity,
        feed: Any,
        emit: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        events = metrics.SUBSCRIPTION_EVENTS.labels(prepared.field, "compiled")
        withheld = metrics.SUBSCRIPTION_WITHHELD.labels(prepared.field)
        readers = self.endpoint.readers
        while True:
            try:
                change = await feed.next()
            except SlowConsumer:
                return
            try:
                async with readers.lazy() as reader:
                    data, errors = await plan.render(reader, self.settings, identity, change)
            except Exception as error:
                await emit({"errors": [self._failure(error, prepared)]})
                continue
            if data is None:
                withheld.inc()
                continue
            body: dict[str, Any] = {"data": data}
            if errors:
                body["errors"] = [self._format(e, prepared) for e in errors]
            await emit(body)
            events.inc()

    async def _standard(
        self,
        prepared: Prepared,
        identity: Identity,
        emit: Callable[[dict[str, Any]], Awaitable[None]],
        on_overflow: Callable[[], None],
        followed: Callable[[], None],
    ) -> None:
        events = metrics.SUBSCRIPTION_EVENTS.labels(prepared.field, "standard")
        runtime = self.runtime
        first = runtime.sessions()
        context = runtime.context_for(first, None, identity=identity)
        context.events = Events(
            self.hub,
            runtime.sessions,
            size=self.settings.subscription_queue,
            on_overflow=on_overflow,
            on_follow=followed,
            on_withheld=metrics.SUBSCRIPTION_WITHHELD.labels(prepared.field).inc,
        )
        try:
            stream: Any = graphql_subscribe(
                runtime.schema._schema,
                prepared.document,
                context_value=context,
                variable_values=prepared.variables,
                operation_name=prepared.operation_name,
                executor_class=runtime.schema.execution_context_class,
            )
            if hasattr(stream, "__await__"):
                stream = await stream
            if isinstance(stream, ExecutionResult):
                await emit({"errors": [self._format(e, prepared) for e in stream.errors or ()]})
                return
            try:
                async for result in stream:
                    body: dict[str, Any] = {"data": result.data}
                    if result.errors:
                        body["errors"] = [self._format(e, prepared) for e in result.errors]
                    await emit(body)
                    events.inc()
            except SlowConsumer:
                return
            finally:
                with contextlib.suppress(Exception):
                    await stream.aclose()
        finally:
            await first.close()

    def _format(self, error: GraphQLError, prepared: Prepared) -> dict[str, Any]:
        formatted = self.endpoint._format_error(error, prepared.request_id)
        extensions = formatted.setdefault("extensions", {})
        extensions["requestId"] = prepared.request_id
        return formatted  # type: ignore[no-any-return]

    def _failure(self, error: Exception, prepared: Prepared) -> dict[str, Any]:
        if database_unavailable(error):
            return _error(
                _("The database is unavailable: this event could not be read."),
                "SERVICE_UNAVAILABLE",
                requestId=prepared.request_id,
            )
        error_id = uuid.uuid4().hex[:12]
        log.error("subscription event failed (%s)", error_id, exc_info=error)
        return _error(_("Internal error"), "INTERNAL_SERVER_ERROR", errorId=error_id)

    @staticmethod
    def wants_stream(request: Request) -> bool:
        """A GraphQL-over-SSE request: it accepts text/event-stream."""
        return "text/event-stream" in request.headers.get("accept", "")

    async def sse(
        self,
        identity: Identity,
        until: float | None,
        payload: dict[str, Any],
        standard: bool,
        header: str | None,
    ) -> Response:
        return await sse_response(self, identity, until, payload, standard, header)

    # ---------------------------------------------------------- credentials, rechecked

    async def revoked(self, identity: Identity, header: str | None) -> Message | None:
        """Why credentials that authenticated when the subscription began no longer do (an
        API key revoked since), or None. Checked as connection_init checked them; a check
        that cannot run now (the database, the identity provider's keys) lets them stand
        until the next. A token's own end is its expiry, timed apart (`until`)."""
        if identity.api_key_id is None:
            return None
        try:
            await self.endpoint.authenticate(header)
        except HttpError as error:
            return error.message if error.status == 401 else None
        except Exception as error:
            if not database_unavailable(error):
                log.warning("credentials not rechecked", exc_info=error)
            return None
        return None

    # ------------------------------------------------------------------ shutting down

    async def close_all(self) -> None:
        """Every WebSocket closed with 1001 (going away), every SSE stream completed, within
        CLOSE_SECONDS."""
        self.closing = True
        connections = list(self.connections)
        if connections:
            metrics.SUBSCRIPTIONS_ENDED.labels("shutdown").inc(len(connections))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_SECONDS):
                await asyncio.gather(*(c.going_away() for c in connections), return_exceptions=True)

    def on_signals(self) -> None:
        """Closes the sockets with 1001 before uvicorn's shutdown closes them with 1012: the
        process's SIGTERM and SIGINT handlers (uvicorn's) run once that is done."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(signum)
            if not callable(previous):
                continue

            def handler(number: int, frame: Any, previous: Any = previous) -> None:
                async def close_then_stop() -> None:
                    with contextlib.suppress(Exception):
                        await self.close_all()
                    previous(number, frame)

                loop.call_soon_threadsafe(lambda: loop.create_task(close_then_stop()))

            signal.signal(signum, handler)


def _json(value: Any) -> bytes:
    """orjson, with messages (the limits' and bounds' errors carry them) in the caller's
    language and any other leftover as text, as the HTTP layer answers."""
    return orjson.dumps(value, default=str)


def _code(name: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


# --------------------------------------------------------------------------- WebSocket


class _Closed(Exception):
    """The socket is closed (by the client, or by us)."""


class Connection:
    """One graphql-transport-ws connection: init, then any number of subscriptions."""

    def __init__(self, service: Subscriptions, websocket: WebSocket) -> None:
        self.service = service
        self.websocket = websocket
        self.settings = service.settings
        self.identity: Identity | None = None
        self.running: dict[str, asyncio.Task[None]] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self._send_lock = asyncio.Lock()
        self.closed = False
        self.standard = False
        self.header: str | None = None  # connection_init's credentials, checked again

    async def serve(self) -> None:
        self.service.connections.add(self)
        try:
            try:
                await self._init()
                while True:
                    await self._handle(await self._receive())
            except (_Closed, WebSocketDisconnect):
                pass
        finally:
            self.service.connections.discard(self)
            for task in [*self.running.values(), *self.tasks]:
                task.cancel()
            for task in [*self.running.values(), *self.tasks]:
                with contextlib.suppress(BaseException):
                    await task

    async def _receive(self) -> dict[str, Any]:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise _Closed
        raw = message.get("text")
        if raw is None:
            raw = (message.get("bytes") or b"").decode(errors="replace")
        try:
            parsed = orjson.loads(raw)
        except orjson.JSONDecodeError:
            parsed = None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("type"), str):
            await self.close(BAD_REQUEST, "Invalid message received")
        return parsed  # type: ignore[no-any-return]

    async def _init(self) -> None:
        deadline = time.monotonic() + self.settings.ws_init_timeout_seconds
        while True:
            try:
                async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                    message = await self._receive()
            except TimeoutError:
                await self.close(INIT_TIMEOUT, "Connection initialisation timeout")
            kind = message["type"]
            if kind == "ping":
                await self.send({"type": "pong"})
                continue
            if kind == "pong":
                continue
            if kind != "connection_init":
                await self.close(UNAUTHORIZED, "Unauthorized")
            break
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            await self.close(BAD_REQUEST, "Invalid message received")
        header = _authorization(payload)
        try:
            identity, until = await self.service.endpoint.authenticate(header)
        except HttpError as error:
            if error.status == 503:
                await self.close(UNAVAILABLE, "Credentials cannot be checked now; retry")
            await self.close(FORBIDDEN, f"Forbidden: {error.message}"[:120])
        self.identity = identity
        self.header = header
        self.standard = payload.get("executor") == "standard"
        await self.send({"type": "connection_ack"})
        loop = asyncio.get_running_loop()
        self.tasks.append(loop.create_task(self._keepalive()))
        if until is not None:
            self.tasks.append(loop.create_task(self._expire(until)))

    async def _keepalive(self) -> None:
        assert self.identity is not None
        while True:
            await asyncio.sleep(self.settings.ws_keepalive_seconds)
            await self.send({"type": "ping"})
            reason = await self.service.revoked(self.identity, self.header)
            if reason is not None:
                metrics.SUBSCRIPTIONS_ENDED.labels("revoked").inc()
                await self._close_quietly(FORBIDDEN, f"Forbidden: {text(reason)}"[:120])
                return

    async def _expire(self, until: float) -> None:
        await asyncio.sleep(max(0.0, until - time.time()))
        metrics.SUBSCRIPTIONS_ENDED.labels("token_expired").inc()
        await self._close_quietly(UNAUTHORIZED, "Unauthorized: the token has expired")

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "pong":
            return
        elif kind == "connection_init":
            await self.close(TOO_MANY_INITS, "Too many initialisation requests")
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            task = self.running.pop(str(message.get("id")), None)
            if task is not None:
                task.cancel()
        else:
            await self.close(BAD_REQUEST, f"Invalid message type {kind[:40]!r}")

    async def _subscribe(self, message: dict[str, Any]) -> None:
        assert self.identity is not None
        identity = self.identity
        subscription_id = message.get("id")
        payload = message.get("payload")
        if not isinstance(subscription_id, str) or not subscription_id:
            await self.close(BAD_REQUEST, "A subscribe message needs an id")
        if not isinstance(payload, dict):
            await self.close(BAD_REQUEST, "A subscribe message needs a payload")
        if subscription_id in self.running:
            await self.close(DUPLICATE_ID, f"Subscriber for {subscription_id[:60]} already exists")
        # Counted as a query is, before any other check: a refused subscribe counts too.
        limited = await self.service.limit_rate(identity, self.websocket)
        if limited is not None:
            await self._error(subscription_id, limited)
            return
        limit = self.settings.subscriptions_per_connection
        if len(self.running) >= limit:
            metrics.SUBSCRIPTIONS_ENDED.labels("limit").inc()
            await self._error(
                subscription_id,
                [
                    _error(
                        _(
                            "At most {limit} subscriptions may be open per connection.",
                            limit=limit,
                        ),
                        "LIMIT_EXCEEDED",
                        limit="subscriptions per connection",
                    )
                ],
            )
            return
        try:
            slot = await self.service.take(identity)
        except Refusal as refusal:
            await self._error(subscription_id, refusal.errors)
            return
        try:
            prepared = await self.service.prepare(identity, payload, standard=self.standard)
        except Refusal as refusal:
            self.service.release(slot)
            await self._error(subscription_id, refusal.errors)
            return
        except BaseException:
            self.service.release(slot)
            raise
        task = asyncio.get_running_loop().create_task(self._run(subscription_id, prepared))
        self.running[subscription_id] = task

        def ended(done: asyncio.Task[None]) -> None:
            # A callback, not the task's own `finally`: a task cancelled before it ever ran
            # (a connection closed at once) runs none of its code.
            self.service.release(slot)
            if self.running.get(subscription_id) is done:
                del self.running[subscription_id]

        task.add_done_callback(ended)

    async def _run(self, subscription_id: str, prepared: Prepared) -> None:
        assert self.identity is not None
        identity = self.identity

        async def emit(payload: dict[str, Any]) -> None:
            await self.send({"id": subscription_id, "type": "next", "payload": payload})

        try:
            await self.service.run(prepared, identity, emit, self._slow, "ws")
            if self.running.get(subscription_id) is asyncio.current_task():
                await self.send({"id": subscription_id, "type": "complete"})
        except _Closed:
            pass

    def _slow(self) -> None:
        metrics.SUBSCRIPTIONS_ENDED.labels("slow_consumer").inc()
        queue = self.settings.subscription_queue
        reason = f"Slow consumer: more than {queue} events unread"
        for task in self.running.values():
            task.cancel()
        self.tasks.append(
            asyncio.get_running_loop().create_task(self._close_quietly(SLOW_CONSUMER, reason))
        )

    async def _error(self, subscription_id: str, errors: list[dict[str, Any]]) -> None:
        await self.send({"id": subscription_id, "type": "error", "payload": errors})

    async def send(self, message: dict[str, Any]) -> None:
        if self.closed:
            raise _Closed
        async with self._send_lock:
            try:
                await self.websocket.send_text(_json(message).decode())
            except (RuntimeError, OSError, WebSocketDisconnect):
                raise _Closed from None

    async def close(self, code: int, reason: str) -> None:
        """Closes the socket and ends the connection's handling (raises _Closed)."""
        await self._close_quietly(code, reason)
        raise _Closed

    async def _close_quietly(self, code: int, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        for task in self.running.values():
            if task is not asyncio.current_task():
                task.cancel()
        if self.websocket.application_state is WebSocketState.CONNECTED:
            # Not behind the send lock: a slow consumer's send may hold it.
            with contextlib.suppress(Exception):
                await self.websocket.close(code, reason)

    async def going_away(self) -> None:
        await self._close_quietly(GOING_AWAY, "The server is shutting down")


def _authorization(payload: dict[str, Any]) -> str | None:
    """The Authorization value connection_init carries: `Authorization` / `authorization`
    as an HTTP header would, or a bare `token`."""
    for name in ("Authorization", "authorization"):
        value = payload.get(name)
        if isinstance(value, str):
            return value
    headers = payload.get("headers")
    if isinstance(headers, dict):
        for name in ("Authorization", "authorization"):
            value = headers.get(name)
            if isinstance(value, str):
                return value
    token = payload.get("token")
    if isinstance(token, str):
        return f"Bearer {token}"
    return None


class WebSocketEndpoint:
    """The ASGI app of WebSocket upgrades on /graphql."""

    def __init__(self, service: Subscriptions) -> None:
        self.service = service

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        websocket = WebSocket(scope, receive, send)
        if self.service.closing:
            await websocket.close(GOING_AWAY)
            return
        if PROTOCOL not in scope.get("subprotocols", ()):
            await websocket.accept()
            await websocket.close(SUBPROTOCOL, "Subprotocol not acceptable: use " + PROTOCOL)
            return
        refused = await self.service.rate_refusal(websocket)
        if refused is not None:
            code = refused.code or STATUS_CODES.get(refused.status, "BAD_REQUEST")
            if "websocket.http.response" in scope.get("extensions", {}):
                # The handshake's own answer: 429 (or 503) with Retry-After, as over HTTP.
                denial = error_response(
                    refused.status, refused.message, code, headers=refused.headers
                )
                await websocket.send_denial_response(denial)
            else:  # a server without the extension: its 403 for a refused handshake
                await websocket.close()
            return
        await websocket.accept(subprotocol=PROTOCOL)
        # The handshake's Accept-Language, as LanguageEdge reads it for HTTP (ADR 0210): the
        # connection's tasks, made from here on, carry it.
        header = websocket.headers.get("accept-language", "")
        default = self.service.settings.language
        LANGUAGE.set(negotiate(header, default) if header else default)
        await Connection(self.service, websocket).serve()


# --------------------------------------------------------------------------------- SSE


class Stream:
    """One Server-Sent Events subscription (distinct connections mode)."""

    def __init__(self, service: Subscriptions) -> None:
        self.service = service
        self.outgoing: asyncio.Queue[tuple[str, Any]] = asyncio.Queue(maxsize=1)
        self.ended = asyncio.Event()
        self.reason: str | None = None

    def end(self, reason: str) -> None:
        self.reason = self.reason or reason
        self.ended.set()

    async def going_away(self) -> None:
        self.end("shutdown")

    async def events(
        self, prepared: Prepared, identity: Identity, until: float | None, header: str | None
    ) -> AsyncIterator[bytes]:
        service = self.service

        async def emit(payload: dict[str, Any]) -> None:
            await self.outgoing.put(("next", payload))

        def slow() -> None:
            metrics.SUBSCRIPTIONS_ENDED.labels("slow_consumer").inc()
            self.end("slow_consumer")

        async def run() -> None:
            try:
                await service.run(prepared, identity, emit, slow, "sse")
            finally:
                self.end("completed")

        service.connections.add(self)
        task = asyncio.get_running_loop().create_task(run())
        keepalive = self.service.settings.ws_keepalive_seconds
        # The credentials are checked again every keep-alive period, events flowing or not.
        recheck_at = time.monotonic() + keepalive
        try:
            yield b": connected\n\n"
            while not self.ended.is_set():
                wait = max(0.0, recheck_at - time.monotonic())
                if until is not None:
                    wait = min(wait, max(0.0, until - time.time()))
                getter = asyncio.ensure_future(self.outgoing.get())
                ender = asyncio.ensure_future(self.ended.wait())
                done, _pending = await asyncio.wait(
                    {getter, ender}, timeout=wait, return_when=asyncio.FIRST_COMPLETED
                )
                ender.cancel()
                if getter in done:
                    _kind, payload = getter.result()
                    yield b"event: next\ndata: " + _json(payload) + b"\n\n"
                else:
                    getter.cancel()
                if until is not None and time.time() >= until:
                    metrics.SUBSCRIPTIONS_ENDED.labels("token_expired").inc()
                    expired = _error(_("The token has expired."), "UNAUTHENTICATED")
                    yield b"event: next\ndata: " + _json({"errors": [expired]}) + b"\n\n"
                    break
                if time.monotonic() >= recheck_at:
                    recheck_at = time.monotonic() + keepalive
                    reason = await service.revoked(identity, header)
                    if reason is not None:
                        metrics.SUBSCRIPTIONS_ENDED.labels("revoked").inc()
                        refused = _error(reason, "UNAUTHENTICATED")
                        yield b"event: next\ndata: " + _json({"errors": [refused]}) + b"\n\n"
                        break
                if not done:
                    yield b": keep-alive\n\n"
            if self.reason != "slow_consumer":
                yield b"event: complete\ndata:\n\n"
        finally:
            service.connections.discard(self)
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def sse_response(
    service: Subscriptions,
    identity: Identity,
    until: float | None,
    payload: dict[str, Any],
    standard: bool = False,
    header: str | None = None,
) -> Response:
    """The SSE answer of one subscription request (its identity already authenticated by
    `header`, the request's Authorization, which is checked again while it runs)."""
    if service.closing:
        return error_response(
            503,
            _("The server is shutting down."),
            "SERVICE_UNAVAILABLE",
            headers={"Retry-After": "1"},
            media_type="application/json",
        )
    try:
        slot = await service.take(identity)
    except Refusal as refusal:
        return _refused(refusal)
    try:
        prepared = await service.prepare(identity, payload, standard=standard)
    except Refusal as refusal:
        service.release(slot)
        return _refused(refusal)
    except BaseException:
        service.release(slot)
        raise
    stream = Stream(service)
    return _EventStream(
        stream.events(prepared, identity, until, header),
        release=lambda: service.release(slot),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


class _EventStream(StreamingResponse):
    """The SSE response; its subscription's place under the identity's limit is given back
    however the response ends (even one whose stream never started: a client gone at once)."""

    def __init__(self, content: Any, *, release: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._release = release

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def _refused(refusal: Refusal) -> Response:
    headers = {} if refusal.retry_after is None else {"Retry-After": str(refusal.retry_after)}
    return Response(
        _json({"errors": refusal.errors}),
        status_code=refusal.status,
        headers=headers,
        media_type="application/json",
    )
