"""Real subscription clients (the `websockets` library, httpx streaming for SSE) and gateway
processes to point them at, for the realtime tests and docs/realtime.md's flow."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import ClientConnection, connect

from domain.identity import Identity, Role
from tests.gateway.helpers import token

# Generous: the machine is shared, and a test waits for an event rather than a duration.
EVENT_TIMEOUT = 60.0


def subscriber(customer_id: int) -> Identity:
    return Identity(subject=f"app-{customer_id}", role=Role.SUBSCRIBER, customer_id=customer_id)


def wait_ready(url: str) -> None:
    """Polls /readyz until every dependency, the change feed included, answers."""
    deadline = time.monotonic() + 60
    while True:
        try:
            response = httpx.get(f"{url}/readyz", timeout=2)
            if response.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} not ready")
        time.sleep(0.1)


def metric(url: str, name: str, **labels: str) -> float:
    """A metric's value on one process, summed over the samples matching `labels`."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


async def until(check: Any, what: str) -> Any:
    """Polls `check()` (sync, e.g. a metric scrape) until it is truthy."""
    deadline = time.monotonic() + EVENT_TIMEOUT
    while True:
        value = await asyncio.to_thread(check)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)


async def open_subscriptions(url: str, count: int) -> None:
    """Waits until the process holds exactly `count` open subscriptions."""
    await until(
        lambda: metric(url, "gateway_subscriptions_open") == count,
        f"{count} open subscriptions on {url}",
    )


async def graphql(
    url: str, query: str, identity: Identity | None = None, **variables: Any
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token(identity)}"} if identity else bearer_staff()
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{url}/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def bearer_staff() -> dict[str, str]:
    from domain.identity import DEVELOPMENT_STAFF

    return {"authorization": f"Bearer {token(DEVELOPMENT_STAFF)}"}


class WsClient:
    """A graphql-transport-ws client over the `websockets` library."""

    def __init__(self, socket_: ClientConnection) -> None:
        self.ws = socket_

    @classmethod
    @contextlib.asynccontextmanager
    async def connected(
        cls,
        url: str,
        identity: Identity | None = None,
        *,
        bearer: str | None = None,
        init: dict[str, Any] | None = None,
        small_buffers: bool = False,
    ) -> AsyncIterator[WsClient]:
        ws_url = url.replace("http://", "ws://") + "/graphql"
        options: dict[str, Any] = {"subprotocols": ["graphql-transport-ws"], "open_timeout": 30}
        if small_buffers:
            # A phone on a bad network: it reads little, and late.
            host, port = url.removeprefix("http://").split(":")
            raw = socket.socket()
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            raw.connect((host, int(port)))
            # Uncompressed: the events' bytes are what fills the buffers.
            options.update(sock=raw, max_queue=1, compression=None)
        async with connect(ws_url, **options) as ws:
            client = cls(ws)
            payload = dict(init or {})
            if bearer is None:
                from domain.identity import DEVELOPMENT_STAFF

                bearer = token(identity or DEVELOPMENT_STAFF)
            if bearer is not None:
                payload["Authorization"] = f"Bearer {bearer}"
            await ws.send(orjson.dumps({"type": "connection_init", "payload": payload}).decode())
            yield client

    async def acked(self) -> None:
        message = await self.receive()
        assert message["type"] == "connection_ack", message

    async def subscribe(self, id_: str, query: str, **variables: Any) -> None:
        message = {
            "id": id_,
            "type": "subscribe",
            "payload": {"query": query, "variables": variables},
        }
        await self.ws.send(orjson.dumps(message).decode())

    async def receive(self) -> dict[str, Any]:
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), EVENT_TIMEOUT)
            message: dict[str, Any] = orjson.loads(raw)
            if message["type"] == "ping":
                await self.ws.send('{"type":"pong"}')
                continue
            return message

    async def next(self, id_: str) -> dict[str, Any]:
        """The next event's payload of subscription `id_` (others' are not expected)."""
        message = await self.receive()
        assert message.get("id") == id_ and message["type"] == "next", message
        return message["payload"]  # type: ignore[no-any-return]

    async def closed(self) -> tuple[int | None, str | None]:
        """Reads until the server closes; its close code and reason."""
        from websockets.exceptions import ConnectionClosed

        try:
            async with asyncio.timeout(EVENT_TIMEOUT):
                while True:
                    await self.ws.recv()
        except ConnectionClosed as closed:
            frame = closed.rcvd
            return (frame.code, frame.reason) if frame is not None else (None, None)
        raise AssertionError("still open")


@dataclass
class SseClient:
    """One GraphQL-over-SSE subscription (distinct connections mode) over httpx streaming."""

    lines: Any
    response: httpx.Response

    @classmethod
    @contextlib.asynccontextmanager
    async def subscribed(
        cls, url: str, query: str, identity: Identity | None = None, **variables: Any
    ) -> AsyncIterator[SseClient]:
        headers = {"accept": "text/event-stream"}
        headers.update(
            {"authorization": f"Bearer {token(identity)}"} if identity else bearer_staff()
        )
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(30, read=None)) as client,
            client.stream(
                "POST",
                f"{url}/graphql",
                json={"query": query, "variables": variables},
                headers=headers,
            ) as response,
        ):
            yield cls(response.aiter_lines(), response)

    async def event(self) -> tuple[str, Any]:
        """The next event: ("next", payload) or ("complete", None)."""
        kind, data = None, None
        async with asyncio.timeout(EVENT_TIMEOUT):
            async for line in self.lines:
                if line.startswith(":"):
                    continue
                if line.startswith("event:"):
                    kind = line.removeprefix("event:").strip()
                elif line.startswith("data:"):
                    data = line.removeprefix("data:").strip()
                elif line == "" and kind is not None:
                    return kind, orjson.loads(data) if data else None
        raise AssertionError("the stream ended")

    async def next(self) -> dict[str, Any]:
        kind, payload = await self.event()
        assert kind == "next", (kind, payload)
        return payload  # type: ignore[no-any-return]
