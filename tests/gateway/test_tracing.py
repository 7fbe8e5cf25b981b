"""Traces (ADR 0176) received over real OTLP/HTTP on loopback from `gateway serve`: a server
span per request continuing the caller's `traceparent`, children for parse/validate, planning
and execution, one per SQL statement on both read paths, one per port call (whose
`traceparent` reaches the port's server) and one per outbox delivery."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from domain.db import create_engine
from domain.seed import seed_database
from simulators.cep import create_app as create_cep
from simulators.tv_platform import create_app as create_tv
from tests.databases import fresh_database
from tests.gateway.helpers import bearer
from tests.gateway.serving import gateway_serve
from tests.simulators import serving

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
PAGE = "query Page { customers(first: 5) { nodes { name plans { status } } } }"


@dataclass
class Span:
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    kind: int
    attributes: dict[str, Any]
    service: str


@dataclass
class Receiver:
    """An OTLP/HTTP trace receiver: what an OpenTelemetry collector's endpoint does."""

    spans: list[Span] = field(default_factory=list)

    def app(self) -> Starlette:
        async def traces(request: Request) -> Response:
            body = await request.body()
            if request.headers.get("content-encoding") == "gzip":
                body = gzip.decompress(body)
            export = ExportTraceServiceRequest.FromString(body)
            for resource_spans in export.resource_spans:
                service = _attributes(resource_spans.resource.attributes)["service.name"]
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        self.spans.append(
                            Span(
                                span.name,
                                span.trace_id.hex(),
                                span.span_id.hex(),
                                span.parent_span_id.hex(),
                                span.kind,
                                _attributes(span.attributes),
                                service,
                            )
                        )
            return Response(
                ExportTraceServiceResponse().SerializeToString(),
                media_type="application/x-protobuf",
            )

        return Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])

    def children(self, parent: Span) -> list[Span]:
        return [s for s in self.spans if s.parent_id == parent.span_id]


def _attributes(pairs: Any) -> dict[str, Any]:
    found = {}
    for pair in pairs:
        kind = pair.value.WhichOneof("value")
        found[pair.key] = getattr(pair.value, kind) if kind else None
    return found


class HeaderRecorder:
    """Serves `app` and keeps the trace context each request arrived with."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.traceparents: list[tuple[str, str]] = []  # (path, traceparent)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            if b"traceparent" in headers:
                self.traceparents.append((scope["path"], headers[b"traceparent"].decode()))
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def seeded_database() -> Iterator[str]:
    """A database of this module's own: the test adds a TV package to it."""
    with fresh_database() as url:

        async def seed() -> None:
            engine = create_engine(url)
            try:
                await seed_database(engine, customers=20, seed=7)
            finally:
                await engine.dispose()

        asyncio.run(seed())
        yield url


FIND_TV_PLAN = """
query ($offers: [ID!]) {
  customers(first: 50, filter: {offerId: $offers, planStatus: [ACTIVE]}) {
    nodes { plans(status: [ACTIVE]) { id offer { isTvOffer } tvPackages { package { isExtra } } } }
  }
  planOffers { id isTvOffer }
  tvPackages(isExtra: true) { id }
}
"""
ADD_PACKAGE = """mutation Add($input: AddTvPackageInput!) { addTvPackage(input: $input) {
  __typename } }"""


def _post(client: httpx.Client, query: str, variables: Any = None, **headers: str) -> Any:
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def test_spans_of_requests_statements_ports_and_deliveries_reach_an_otlp_receiver(
    seeded_database: str, tmp_path: Path
) -> None:
    receiver = Receiver()
    cep = HeaderRecorder(create_cep())
    tv = HeaderRecorder(create_tv())
    with serving(receiver.app()) as otlp, serving(cep) as cep_url, serving(tv) as tv_url:
        environment = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp,
            "OTEL_SERVICE_NAME": "gateway-under-test",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "GATEWAY_CEP_URL": cep_url,
            "GATEWAY_TV_PLATFORM_URL": tv_url,
            "GATEWAY_OUTBOX_WORKER": "in-process",
        }
        with gateway_serve(seeded_database, tmp_path, **environment) as served:
            staff = bearer()
            with httpx.Client(base_url=served.url, headers=staff, timeout=30) as client:
                traceparent = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
                compiled = client.post(
                    "/graphql", json={"query": PAGE}, headers={"traceparent": traceparent}
                )
                assert compiled.headers["x-gateway-executor"] == "compiled"
                _post(client, PAGE, None, **{"x-gateway-executor": "standard"})
                _post(client, 'query Cep { addressByCep(cep: "01001000") { __typename } }')
                catalog = _post(client, FIND_TV_PLAN)
                offers = [o["id"] for o in catalog["planOffers"] if o["isTvOffer"]]
                plans = _post(client, FIND_TV_PLAN, {"offers": offers})
                plan = next(
                    p
                    for node in plans["customers"]["nodes"]
                    for p in node["plans"]
                    if p["offer"]["isTvOffer"]
                    and not any(t["package"]["isExtra"] for t in p["tvPackages"])
                )
                added = _post(
                    client,
                    ADD_PACKAGE,
                    {"input": {"planId": plan["id"], "packageId": plans["tvPackages"][0]["id"]}},
                )
                assert added["addTvPackage"]["__typename"] == "AddTvPackageSuccess"
                deadline = time.monotonic() + 20
                while not any(s.name == "outbox deliver" for s in receiver.spans):
                    assert time.monotonic() < deadline, "no delivery span"
                    time.sleep(0.1)
            served.stop()  # flushes what is still buffered
        spans = receiver.spans

    assert {s.service for s in spans} == {"gateway-under-test"}
    servers = [s for s in spans if s.kind == 2]  # SPAN_KIND_SERVER
    # 1. The compiled read continues the caller's trace.
    (request,) = [s for s in servers if s.trace_id == TRACE_ID]
    assert request.parent_id == CALLER_SPAN
    assert request.name == "POST /graphql"
    assert request.attributes["graphql.operation.name"] == "Page"
    assert request.attributes["graphql.operation.type"] == "query"
    assert request.attributes["gateway.executor"] == "compiled"
    assert request.attributes["gateway.identity.kind"] == "staff"
    assert request.attributes["http.response.status_code"] == 200
    steps = {s.name: s for s in receiver.children(request)}
    assert {"graphql.parse_validate", "graphql.plan", "graphql.execute"} <= set(steps)
    statements = receiver.children(steps["graphql.execute"])
    assert statements and all(s.name == "SELECT" for s in statements)
    assert all(s.attributes["gateway.driver"] == "raw" for s in statements)
    assert all(s.attributes["db.query.text"].lstrip().startswith("SELECT") for s in statements)

    # 2. The standard path's statements come through SQLAlchemy.
    standard = next(
        s
        for s in servers
        if s.attributes.get("gateway.executor") == "standard"
        and s.attributes.get("graphql.operation.name") == "Page"
    )
    execute = next(s for s in receiver.children(standard) if s.name == "graphql.execute")
    orm_statements = [s for s in spans if s.trace_id == standard.trace_id and s.name == "SELECT"]
    assert orm_statements and all("gateway.driver" not in s.attributes for s in orm_statements)
    assert execute.trace_id == standard.trace_id

    # 3. A port call is a client span, and its traceparent reaches the port's server.
    cep_request = next(s for s in servers if s.attributes.get("graphql.operation.name") == "Cep")
    (lookup,) = [s for s in spans if s.name == "cep lookup"]
    assert lookup.trace_id == cep_request.trace_id and lookup.kind == 3  # SPAN_KIND_CLIENT
    # (its flags: sampled, and the SDK's random trace id flag)
    assert ("/ws/01001000/json/", f"00-{lookup.trace_id}-{lookup.span_id}") in [
        (path, parent.rsplit("-", 1)[0]) for path, parent in cep.traceparents
    ]

    # 4. The delivery of the mutation's outbox message: its own trace, platform calls within.
    delivery = next(s for s in spans if s.name == "outbox deliver")
    assert delivery.attributes["gateway.outbox.topic"] == "tv.package.add"
    platform_calls = [s for s in receiver.children(delivery) if s.name.startswith("tv platform")]
    assert {s.name for s in platform_calls} >= {"tv platform PUT /subscribers/{id}/packages/{id}"}
    sent = {parent.rsplit("-", 1)[0] for _path, parent in tv.traceparents}
    for call in platform_calls:
        assert f"00-{call.trace_id}-{call.span_id}" in sent

    # Nothing in any span is a token or a customer's document.
    token = staff["authorization"].split()[1]
    for span in spans:
        for value in span.attributes.values():
            assert token not in str(value)
