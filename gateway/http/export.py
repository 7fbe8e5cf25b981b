"""`POST /export`: a whole report connection, streamed as CSV or NDJSON (ADR 0152).

The body is a GraphQL request (as for /graphql) naming a registered document whose one root
field is a report connection. The connection is read page by keyset page on the compiled path,
each page written as it comes: memory stays one page whatever the table's size. Each page counts
as one request against the caller's rate limit (a page over the limit waits for it); when the
client goes away, Starlette cancels the stream and the reader goes back to the pool.

On PostgreSQL a CSV export of a flat selection of plain columns (`sql_cells`) is written by the
database instead: one COPY of the same FROM, scoping and order (`csv_pages`), the same bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, replace
from typing import Any

import orjson
from graphql import OperationType
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from domain.i18n import _
from domain.identity import Identity
from domain.reads import reports
from domain.reads.batched import Reader
from gateway.execution.compiled import Fallback, _Run, build, resolve_pending
from gateway.execution.persisted import DocumentRefused, document_hash
from gateway.execution.planner import (
    BatchedOut,
    ComputedOut,
    ConstOut,
    FoldedOut,
    GlobalIdOut,
    PolyShape,
    ScalarOut,
    Shape,
    Unplannable,
)
from gateway.execution.reports import ReportConnectionRoot
from gateway.http.errors import STATUS_CODES, error_response
from gateway.http.graphql import GraphQLEndpoint, HttpError
from gateway.http.overload import Refused
from gateway.observability.requests import request_id

CSV = "text/csv"
NDJSON = "application/x-ndjson"
PAGE_SIZE = 5000  # rows per keyset page of an export (memory stays one page)
MAX_WAITS = 60  # rate-limit windows a page may wait through before the export gives up


def columns(shape: Shape | PolyShape, prefix: str = "") -> list[str]:
    """The CSV header of a node selection: response keys, nested ones as `parent.child`."""
    if isinstance(shape, PolyShape):
        names: dict[str, None] = {}
        for concrete in shape.shapes.values():
            names.update(dict.fromkeys(columns(concrete, prefix)))
        return list(names)
    found = []
    for out in shape.fields:
        if isinstance(out, FoldedOut):
            found += columns(out.shape, f"{prefix}{out.key}.")
        elif isinstance(out, ScalarOut | ConstOut | GlobalIdOut | ComputedOut | BatchedOut):
            found.append(prefix + out.key)
    return found


def flatten(
    row: dict[str, Any], prefix: str = "", into: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A node as one CSV row: nested objects as `parent.child`, lists as JSON text."""
    into = {} if into is None else into
    for key, value in row.items():
        if isinstance(value, dict):
            flatten(value, f"{prefix}{key}.", into)
        elif isinstance(value, list):
            into[prefix + key] = orjson.dumps(value).decode()
        else:
            into[prefix + key] = value
    return into


@dataclass(frozen=True)
class Export:
    """A planned export: the connection root and what the request's variables coerce to;
    `cells`: how PostgreSQL renders each CSV cell, when it can (`sql_cells`)."""

    root: ReportConnectionRoot
    variables: Any
    header: list[str]
    cells: list[tuple[str | None, reports.Cell, Any]] | None = None


def sql_cells(
    root: ReportConnectionRoot, shape: Shape | PolyShape
) -> list[tuple[str | None, reports.Cell, Any]] | None:
    """Each CSV cell of a node selection as PostgreSQL can render it byte for byte as the
    generic path writes it, or None when one cannot: the node reads one table, every field is
    a column of a type `reports.cell_of` renders, a global id or a constant (__typename);
    there are two cells at least (a lone empty cell is written `""`)."""
    if root.nodes is not None or not isinstance(shape, Shape) or len(shape.fields) < 2:
        return None
    assert root.root is not None
    report = root.root.report
    cells: list[tuple[str | None, reports.Cell, Any]] = []
    for out in shape.fields:
        if isinstance(out, ScalarOut | GlobalIdOut):
            name = root.columns[out.position]
            cell = (
                reports.Cell.GLOBAL_ID
                if isinstance(out, GlobalIdOut)
                else reports.cell_of(report.column_type(name))
            )
            if cell is None:
                return None
            cells.append((name, cell, getattr(out, "type_name", None)))
        elif isinstance(out, ConstOut) and isinstance(out.value, str):
            cells.append((None, reports.Cell.CONSTANT, out.value))
        else:
            return None
    return cells


def plan(endpoint: GraphQLEndpoint, query: str, gql_variables: Any, name: str | None) -> Export:
    """The report connection a document names; HttpError(400) when it names none."""
    prepared = endpoint.documents.get(query)
    if prepared.errors:
        raise HttpError(400, "; ".join(e.message for e in prepared.errors))
    operation = prepared.operation(name)
    if operation is None or operation.operation is not OperationType.QUERY:
        raise HttpError(400, _("Export a query operation."))
    if endpoint.compiled is None:
        raise HttpError(400, _("Exports need the compiled read path (GATEWAY_COMPILED_READS)."))
    try:
        compiled, variables = endpoint.compiled.prepare(prepared, operation, query, gql_variables)
    except Unplannable as reason:
        raise HttpError(
            400, _("This document cannot be exported: {reason}.", reason=reason)
        ) from None
    roots = [root for root in compiled.roots if root.name != "__typename"]
    if len(roots) != 1 or not isinstance(roots[0], ReportConnectionRoot):
        raise HttpError(400, _("Export a document whose one root field is a report connection."))
    root = roots[0]
    try:
        header = columns(root.node_shape())
    except Unplannable as reason:
        raise HttpError(400, str(reason)) from None
    return Export(root, variables, header, sql_cells(root, root.node_shape()))


async def rows(
    export: Export,
    reader: Reader,
    identity: Identity | None,
    settings: Any,
    before_page: Any = None,
) -> AsyncIterator[list[dict[str, Any]]]:
    """The connection's nodes, one keyset page at a time, from its first page to its end."""
    run = _Run(reader, settings, export.variables, identity)
    wanted, order, window = export.root.arguments(run)
    shape = export.root.node_shape()
    page = replace(window, first=PAGE_SIZE, last=None)
    page = replace(page, page=replace(page.page, limit=PAGE_SIZE + 1, backward=False, before=None))
    while True:
        if before_page is not None:
            await before_page()
        pairs, has_next, __, last = await export.root.page(run, wanted, order, page, "none")
        nodes = [build(shape, row, run.pending) for __, row in pairs]
        await resolve_pending(run)
        run.pending.clear()
        yield [node for node in nodes if node is not None]
        if not has_next or last is None:
            return
        page = replace(page, page=replace(page.page, after=last))


async def csv_pages(
    export: Export,
    reader: Reader,
    identity: Identity | None,
    settings: Any,
    before_page: Any = None,
) -> AsyncIterator[tuple[bytes, int]]:
    """The connection's CSV rows and their number, batch by batch, written by PostgreSQL: one
    `COPY` of the page statement's FROM, scoping and order (`reports.copy_csv`). At most two
    batches wait in memory (the driver reads no further meanwhile); `before_page` is awaited
    before the first row and after each PAGE_SIZE rows, as the paged export does per page."""
    assert export.cells is not None and export.root.root is not None
    report = export.root.root.report
    run = _Run(reader, settings, export.variables, identity)
    wanted, __, window = export.root.arguments(run)
    batches: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=2)

    async def copy() -> None:
        try:
            await reports.copy_csv(
                reader, report, wanted, window.page.order, export.cells or (), batches.put,
                identity,
            )  # fmt: skip
        finally:
            await batches.put(None)

    task = asyncio.create_task(copy())
    try:
        if before_page is not None:
            await before_page()
        since_page = 0
        while (batch := await batches.get()) is not None:
            chunk, count = crlf_lines(bytes(batch))
            yield chunk, count
            since_page += count
            while since_page >= PAGE_SIZE:
                since_page -= PAGE_SIZE
                if before_page is not None:
                    await before_page()
        await task  # its error, if any
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def crlf_lines(batch: bytes) -> tuple[bytes, int]:
    """Whole rows of PostgreSQL's CSV (LF line ends) as Python's writer writes them (CRLF) and
    their number. With no quote in the batch no cell was quoted, so no cell holds a line end
    and every LF ends a row; otherwise the rows are read and written again (rare)."""
    if b'"' not in batch:
        return batch.replace(b"\n", b"\r\n"), batch.count(b"\n")
    rows = list(csv.reader(io.StringIO(batch.decode(), newline="")))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(), len(rows)


def rendered_by_database(export: Export, media: str, reader: Reader) -> bool:
    """Whether PostgreSQL writes this export's CSV rows (`csv_pages`)."""
    return media == CSV and export.cells is not None and reader.postgresql


def csv_header(header: list[str]) -> bytes:
    """The first line of a CSV export: the selection's column names."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(header)
    return out.getvalue().encode()


def encode_page(nodes: Iterable[dict[str, Any]], media: str, header: list[str]) -> bytes:
    if media == NDJSON:
        return b"".join(orjson.dumps(node) + b"\n" for node in nodes)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if all("." not in name for name in header):
        # A flat selection (the usual report): the row's values in header order, except lists
        # as JSON text; no per-row dict is built.
        writer.writerows([_cell(node.get(name)) for name in header] for node in nodes)
    else:
        writer.writerows([flat.get(name) for name in header] for flat in map(flatten, nodes))
    return out.getvalue().encode()


def _cell(value: Any) -> Any:
    return orjson.dumps(value).decode() if isinstance(value, list | dict) else value


def _media(request: Request) -> str:
    accepted = [
        p.split(";")[0].strip().lower() for p in request.headers.get("accept", "").split(",")
    ]
    for media in accepted:
        if media in (CSV, NDJSON):
            return media
    raise HttpError(406, _("Accept {csv} or {ndjson}.", csv=CSV, ndjson=NDJSON))


class _ClosingStream(StreamingResponse):
    """Closes its generator however the response ends: when the client goes away, Starlette
    cancels the response, and the generator's reader must go back at once, not at its GC."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self.body_iterator.aclose()  # type: ignore[attr-defined]


class ExportEndpoint:
    """The `/export` ASGI endpoint, sharing /graphql's authentication, limits and plans."""

    def __init__(self, graphql: GraphQLEndpoint) -> None:
        self.graphql = graphql

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        graphql = self.graphql
        try:
            if request.method != "POST":
                raise HttpError(405, _("Use POST."), {"Allow": "POST"})
            media = _media(request)
            identity = await graphql._authenticate(request)
            gql = await graphql.read_post(request, identity)
            query = (await graphql.persisted.resolve(gql.query, gql.extensions)).text
            if not await graphql.persisted.is_registered(document_hash(query)):
                raise HttpError(400, _("Only registered documents may be exported."))
            export = plan(graphql, query, gql.variables, gql.operation_name)
            bucket = f"id:{identity.subject}"
            await graphql.limit_rate(bucket, graphql.rate_per_identity)  # the first page
        except HttpError as error:
            code = error.code or STATUS_CODES.get(error.status, "BAD_REQUEST")
            return error_response(
                error.status,
                error.message,
                code,
                headers=error.headers,
                requestId=request_id(request.scope),
            )
        except DocumentRefused as error:
            return error_response(
                400, error.message, error.code, requestId=request_id(request.scope)
            )
        except Refused as error:  # the body: too slow, too large, or too many slow ones
            headers = {"Connection": "close"}
            if error.retry_after is not None:
                headers["Retry-After"] = str(error.retry_after)
            return error_response(
                error.status,
                error.message,
                error.code,
                headers=headers,
                requestId=request_id(request.scope),
            )
        return _ClosingStream(
            self._stream(export, identity, media, bucket),
            media_type=media,
            headers={"x-gateway-executor": "compiled"},
        )

    async def _stream(
        self, export: Export, identity: Identity, media: str, bucket: str
    ) -> AsyncIterator[bytes]:
        graphql = self.graphql
        first = True

        async def before_page() -> None:
            nonlocal first
            if first:
                first = False
                return
            # Each page is one request against the limit: over it, the stream waits its turn.
            for __ in range(MAX_WAITS):
                wait = await graphql.rate_limiter.hit(bucket, graphql.rate_per_identity)
                if wait is None:
                    return
                await asyncio.sleep(wait)
            raise Fallback("the rate limit held the export too long")

        if media == CSV:
            yield csv_header(export.header)
        async with graphql.readers.reader() as reader:
            try:
                if rendered_by_database(export, media, reader):
                    settings = graphql.runtime.settings
                    pages = csv_pages(export, reader, identity, settings, before_page)
                    async for chunk, __ in pages:
                        yield chunk
                    return
                async for nodes in rows(
                    export, reader, identity, graphql.runtime.settings, before_page
                ):
                    if nodes:
                        yield encode_page(nodes, media, export.header)
            except Fallback as reason:
                # Refused arguments: the stream has begun, so the reason ends it in-band.
                yield orjson.dumps({"error": str(reason)}) + b"\n"
