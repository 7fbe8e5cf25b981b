"""Stalled request bodies lock nobody out (ADR 0132): a real uvicorn on a port the kernel picks,
hundreds of real sockets that send their headers and the start of a body, then stall."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from domain.identity import Identity, Role
from gateway.http.app import create_app
from tests.gateway.helpers import bearer, test_settings, token
from tests.servers import serving_app

STALLS = 300
QUERY = {"query": "{ banks { name } }"}
ATTACKER = Identity(subject="stalling-subscriber", role=Role.SUBSCRIBER, customer_id=1)
NEIGHBOUR = Identity(subject="same-nat-subscriber", role=Role.SUBSCRIBER, customer_id=2)
ELSEWHERE = Identity(subject="other-subscriber", role=Role.SUBSCRIBER, customer_id=3)


def _stalled_head(identity: Identity) -> bytes:
    """Headers that promise a body, and its first bytes: `{"query":` and then nothing."""
    return (
        "POST /graphql HTTP/1.1\r\n"
        "Host: gateway\r\n"
        f"Authorization: Bearer {token(identity)}\r\n"
        "Content-Type: application/json\r\n"
        "Content-Length: 400\r\n"
        "\r\n"
        '{"query":'
    ).encode()


async def _stall(port: int, identity: Identity) -> tuple[asyncio.StreamReader, Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_stalled_head(identity))
    await writer.drain()
    return reader, writer


async def _status(reader: asyncio.StreamReader, seconds: float) -> int | None:
    """The status the server answered, or None if it is still waiting for the body."""
    try:
        line = await asyncio.wait_for(reader.readline(), seconds)
    except TimeoutError:
        return None
    return int(line.split()[1]) if line else -1


def _client(port: int, identity: Identity, local_address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}",
        headers=bearer(identity),
        transport=httpx.AsyncHTTPTransport(local_address=local_address),
        timeout=10,
    )


@pytest.fixture
def settings(database_url: str) -> Any:
    return test_settings(
        database_url,
        environment="production",
        outbox_worker="off",
        body_timeout_seconds=60,  # longer than the test: the stalls hold all along
    )


async def test_hundreds_of_stalled_bodies_from_one_caller_and_ip_lock_nobody_out(
    settings: Any,
) -> None:
    app = create_app(settings)
    with serving_app(app) as port:
        stalls = [await _stall(port, ATTACKER) for _ in range(STALLS)]
        try:
            statuses = await asyncio.gather(*(_status(r, 3.0) for r, _ in stalls))
            # Four bodies (the per-client bound) are waited for; the rest are refused at once.
            assert statuses.count(None) == settings.slow_bodies_per_client
            assert statuses.count(429) == STALLS - settings.slow_bodies_per_client
            bodies = app.state.graphql.bodies
            assert bodies.slow_total == settings.slow_bodies_per_client
            # No stalled body holds a slot in flight.
            assert app.state.in_flight.in_flight == 0

            # Meanwhile everyone else is answered: from another address, and from the
            # attacker's own address (a NAT) with a body that arrives whole.
            async with (
                _client(port, ELSEWHERE, "127.0.0.2") as elsewhere,
                _client(port, NEIGHBOUR, "127.0.0.1") as neighbour,
            ):
                for client in (elsewhere, neighbour) * 10:
                    answered = await client.post("/graphql", json=QUERY)
                    assert answered.status_code == 200 and answered.json()["data"]["banks"]
                # A slow body of someone else's gets its own slot and its answer.
                assert await _slow_but_complete(port, ELSEWHERE, "127.0.0.2") == 200

            # The stalls are still held (the answers above did not wait for them to end).
            held = [
                reader
                for (reader, _), status in zip(stalls, statuses, strict=True)
                if status is None
            ]
            assert await asyncio.gather(*(_status(r, 0.05) for r in held)) == [None] * len(held)
        finally:
            await _close(writer for _, writer in stalls)


async def _close(writers: Any) -> None:
    """Closes the sockets now (the server's shutdown then need not wait for their bodies)."""
    writers = list(writers)
    for writer in writers:
        writer.close()
    await asyncio.gather(*(w.wait_closed() for w in writers), return_exceptions=True)


async def _slow_but_complete(port: int, identity: Identity, local_address: str) -> int | None:
    """A body sent in two parts, half a second apart (a slow mobile link)."""
    body = b'{"query": "{ banks { name } }"}'
    head = (
        "POST /graphql HTTP/1.1\r\nHost: gateway\r\n"
        f"Authorization: Bearer {token(identity)}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(local_address, 0))
    try:
        writer.write(head + body[:10])
        await writer.drain()
        await asyncio.sleep(0.5)
        writer.write(body[10:])
        await writer.drain()
        return await _status(reader, 10)
    finally:
        await _close([writer])


async def test_a_stalled_body_is_given_up_on_at_its_deadline(database_url: str) -> None:
    settings = test_settings(database_url, outbox_worker="off", body_timeout_seconds=0.5)
    app = create_app(settings)
    with serving_app(app) as port:
        reader, writer = await _stall(port, ATTACKER)
        try:
            # The whole answer, up to the server closing the connection (reading to the end
            # proves it closes: the rest of that body will never be read).
            answer = await asyncio.wait_for(reader.read(), 10)
            assert answer.startswith(b"HTTP/1.1 408")
            assert b'"code":"REQUEST_TIMEOUT"' in answer
            assert b"connection: close" in answer.lower()
        finally:
            await _close([writer])
        bodies = app.state.graphql.bodies
        assert bodies.slow_total == 0 and bodies.timed_out == 1
        # Its slot is free again: the same caller's next stall is waited for, not refused.
        reader, writer = await _stall(port, ATTACKER)
        try:
            assert (await asyncio.wait_for(reader.readline(), 10)).split()[1] == b"408"
        finally:
            await _close([writer])
