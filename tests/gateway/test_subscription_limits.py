"""The subscriptions' limits across processes (ADR 0260): gateway processes sharing one Redis
and one database, real clients. An identity's places are counted in Redis, so its limit holds
whichever process each subscription is on; a place given back on one process frees it on the
others; a process that dies holds its places only until their lease ends. Subscribes are
rate-limited as queries are; an API key revoked while its subscriptions run closes them.

The processes renew every second (GATEWAY_WS_KEEPALIVE_SECONDS=1: a lease of 3 s), so that an
expiry or a recheck is seen within seconds; every wait is for what the server answers or
exposes, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.actions.access import create_api_key, revoke_api_key
from domain.db import create_engine, session_factory
from domain.identity import DEVELOPMENT_STAFF, Identity, Permission, Role
from gateway.execution.redis_guard import RedisBreaker
from gateway.execution.redis_guard import connect as connect_redis
from gateway.http.slots import PREFIX, LimitReached, SlotsUnavailable, SubscriptionSlots
from tests.databases import fresh_database
from tests.gateway.helpers import token
from tests.gateway.realtime_support import EVENT_TIMEOUT, SseClient, WsClient, metric, until
from tests.gateway.serving import Served, gateway_serve
from tests.servers import throwaway_redis

PLANS = "subscription { planChanged { id status } }"
PER_IDENTITY = 2
RATE = 60  # subscribes (and queries) per identity per hour

ENVIRONMENT = {
    "GATEWAY_SUBSCRIPTIONS_PER_IDENTITY": str(PER_IDENTITY),
    "GATEWAY_WS_KEEPALIVE_SECONDS": "1",
    "GATEWAY_RATE_LIMIT_PER_IDENTITY": f"{RATE}/3600",
}


@dataclass
class Pair:
    database: str
    redis: str
    a: Served
    b: Served
    logs: Path

    def serve(self, **environment: str) -> contextlib.AbstractContextManager[Served]:
        """A third process on the same database and Redis."""
        return gateway_serve(
            self.database,
            self.logs,
            GATEWAY_REDIS_URL=self.redis,
            **{**ENVIRONMENT, **environment},
        )


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    logs = tmp_path_factory.mktemp("limits")
    with fresh_database() as url, throwaway_redis() as redis, contextlib.ExitStack() as stack:
        a, b = (
            stack.enter_context(
                gateway_serve(url, logs, GATEWAY_REDIS_URL=redis.url, **ENVIRONMENT)
            )
            for _ in range(2)
        )
        yield Pair(url, redis.url, a, b, logs)
        for served in (a, b):
            assert "Traceback" not in served.logs(), served.logs()[-3000:]


@pytest.fixture
async def settled(pair: Pair) -> Pair:
    """No subscription of an earlier test still open on either process."""
    for served in (pair.a, pair.b):
        await until(lambda s=served: metric(s.url, "gateway_subscriptions_open") == 0, "none open")
    return pair


def staff(name: str) -> Identity:
    return Identity.staff(f"limits-{name}", *Permission)


def _open(url: str) -> float:
    return metric(url, "gateway_subscriptions_open")


async def subscribe(client: WsClient, url: str, id_: str, open_after: int) -> dict[str, Any] | None:
    """Subscribes to every plan's changes: None once the process holds `open_after` open
    subscriptions (a subscription that starts is not acknowledged), else the message the
    server answered (an `error`)."""
    await client.subscribe(id_, PLANS)
    async with asyncio.timeout(EVENT_TIMEOUT):
        while True:
            with contextlib.suppress(TimeoutError):
                return await asyncio.wait_for(client.receive(), 0.2)
            if await asyncio.to_thread(_open, url) == open_after:
                return None


def refused_for(message: dict[str, Any] | None, id_: str, code: str) -> dict[str, Any]:
    assert message is not None, f"{id_} was not refused"
    assert message["type"] == "error" and message["id"] == id_, message
    error: dict[str, Any] = message["payload"][0]
    assert error["extensions"]["code"] == code, error
    return error


async def sse_status(url: str, bearer: str, query: str = PLANS) -> httpx.Response:
    """An SSE subscription request that the server refuses (its answer, read whole)."""
    headers = {"accept": "text/event-stream", "authorization": f"Bearer {bearer}"}
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.post(f"{url}/graphql", json={"query": query}, headers=headers)


async def test_an_identity_at_its_limit_on_one_process_is_refused_on_the_other(
    settled: Pair,
) -> None:
    pair = settled
    caller = staff("two-processes")
    async with (
        WsClient.connected(pair.a.url, caller) as on_a,
        WsClient.connected(pair.b.url, caller) as on_b,
    ):
        await on_a.acked()
        await on_b.acked()
        assert await subscribe(on_a, pair.a.url, "a0", 1) is None
        assert await subscribe(on_a, pair.a.url, "a1", 2) is None

        error = refused_for(await subscribe(on_b, pair.b.url, "b0", 1), "b0", "LIMIT_EXCEEDED")
        assert error["extensions"]["limit"] == "subscriptions per identity"
        assert f"At most {PER_IDENTITY} subscriptions" in error["message"]
        over_sse = await sse_status(pair.b.url, token(caller))
        assert over_sse.status_code == 429, over_sse.text
        assert over_sse.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"

        # Completing one on A frees its place for B.
        await on_a.ws.send('{"id": "a0", "type": "complete"}')
        await until(lambda: _open(pair.a.url) == 1, "a0 completed")
        for attempt in range(RATE - 10):
            answer = await subscribe(on_b, pair.b.url, f"b{attempt + 1}", 1)
            if answer is None:
                break
            refused_for(answer, f"b{attempt + 1}", "LIMIT_EXCEEDED")  # its removal on its way
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the place given back on A never freed one on B")
        # And B now holds the second place: A is at the limit again.
        refused_for(await subscribe(on_a, pair.a.url, "a2", 2), "a2", "LIMIT_EXCEEDED")


async def test_a_killed_process_holds_its_places_only_until_their_lease_ends(
    settled: Pair,
) -> None:
    pair = settled
    caller = staff("killed-holder")
    with pair.serve() as doomed:
        async with WsClient.connected(doomed.url, caller) as on_doomed:
            await on_doomed.acked()
            assert await subscribe(on_doomed, doomed.url, "d0", 1) is None
            assert await subscribe(on_doomed, doomed.url, "d1", 2) is None
            async with WsClient.connected(pair.b.url, caller) as on_b:
                await on_b.acked()
                answer = await subscribe(on_b, pair.b.url, "b0", 1)
                refused_for(answer, "b0", "LIMIT_EXCEEDED")
                # No shutdown of its own: nothing gives the places back.
                doomed.process.kill()
                await asyncio.to_thread(doomed.process.wait, 30)
                loop = asyncio.get_running_loop()
                killed_at = loop.time()
                for attempt in range(RATE - 5):
                    answer = await subscribe(on_b, pair.b.url, f"b{attempt + 1}", 1)
                    if answer is None:
                        break
                    refused_for(answer, f"b{attempt + 1}", "LIMIT_EXCEEDED")
                    await asyncio.sleep(0.5)
                else:
                    raise AssertionError("the killed process's places never expired")
                # Within its lease (3 s) and the machine's slack; far from forever.
                assert loop.time() - killed_at < EVENT_TIMEOUT


async def test_a_stopping_process_gives_its_places_back_at_once(settled: Pair) -> None:
    pair = settled
    caller = staff("stopping-holder")
    # A lease of 3 minutes: a place freed sooner was given back, not expired.
    with pair.serve(GATEWAY_WS_KEEPALIVE_SECONDS="60") as stopping:
        async with (
            WsClient.connected(stopping.url, caller) as on_stopping,
            WsClient.connected(pair.b.url, caller) as on_b,
        ):
            await on_stopping.acked()
            await on_b.acked()
            assert await subscribe(on_stopping, stopping.url, "s0", 1) is None
            assert await subscribe(on_stopping, stopping.url, "s1", 2) is None
            refused_for(await subscribe(on_b, pair.b.url, "b0", 1), "b0", "LIMIT_EXCEEDED")
            # uvicorn raises the signal again once it has shut down.
            assert await asyncio.to_thread(stopping.stop) in (0, -15)
            assert await subscribe(on_b, pair.b.url, "b1", 1) is None
            assert await subscribe(on_b, pair.b.url, "b2", 2) is None


async def test_subscribes_are_rate_limited_as_queries_are(settled: Pair) -> None:
    pair = settled
    caller = staff("rate")
    async with WsClient.connected(pair.a.url, caller) as on_a:
        await on_a.acked()
        # Each subscribe counts, refused or not; a query is refused at once (not a
        # subscription), so none stays open.
        for attempt in range(2 * RATE + 1):
            await on_a.subscribe(f"q{attempt}", "{ banks { code } }")
            message = await on_a.receive()
            assert message["type"] == "error" and message["id"] == f"q{attempt}", message
            error = message["payload"][0]
            if error["extensions"]["code"] == "RATE_LIMITED":
                break
            assert "Only subscriptions" in error["message"], error
        else:
            raise AssertionError("the subscribes were never rate-limited")
        assert attempt >= RATE  # at least the rate went through (a window may have begun)
        assert f"the limit is {RATE} per 3600 s" in error["message"]
        assert 0 < error["extensions"]["retryAfter"] <= 3600
        # The connection stays: the protocol's own ping still answers.
        await on_a.ws.send('{"type": "ping"}')
        assert (await on_a.receive())["type"] == "pong"

    # The same identity's counter, in Redis, over SSE on the other process: 429, Retry-After.
    for _attempt in range(2 * RATE + 1):
        answer = await sse_status(pair.b.url, token(caller), "{ banks { code } }")
        if answer.status_code == 429:
            break
        assert answer.status_code == 400, answer.text
    else:
        raise AssertionError("SSE subscriptions were never rate-limited")
    assert answer.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert 0 < int(answer.headers["retry-after"]) <= 3600


@contextlib.asynccontextmanager
async def api_key(database: str) -> AsyncIterator[tuple[str, Any]]:
    """A staff API key's secret, and a function that revokes it."""
    engine = create_engine(database)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            made = await create_api_key(
                session,
                name="a screen on the wall",
                role=Role.STAFF,
                permissions=list(Permission),
                actor=DEVELOPMENT_STAFF,
            )
            await session.commit()

        async def revoke() -> None:
            async with sessions() as session:
                await revoke_api_key(session, key=made.key.prefix, actor=DEVELOPMENT_STAFF)
                await session.commit()

        yield made.secret, revoke
    finally:
        await engine.dispose()


async def test_an_api_key_revoked_while_open_ends_its_subscriptions(settled: Pair) -> None:
    pair = settled
    async with (
        api_key(pair.database) as (secret, revoke),
        WsClient.connected(pair.a.url, bearer=secret) as on_a,
        httpx.AsyncClient(timeout=httpx.Timeout(30, read=None)) as http,
        http.stream(
            "POST",
            f"{pair.b.url}/graphql",
            json={"query": PLANS},
            headers={"accept": "text/event-stream", "authorization": f"Bearer {secret}"},
        ) as response,
    ):
        assert response.status_code == 200
        over_sse = SseClient(response.aiter_lines(), response)
        await on_a.acked()
        assert await subscribe(on_a, pair.a.url, "p", 1) is None
        await until(lambda: _open(pair.b.url) == 1, "the SSE subscription open")
        before = metric(pair.a.url, "gateway_subscriptions_closed_total", reason="revoked")

        await revoke()
        code, reason = await on_a.closed()
        assert code == 4403 and "revoked" in (reason or ""), (code, reason)
        kind, payload = await over_sse.event()
        assert kind == "next", (kind, payload)
        error = payload["errors"][0]
        assert error["extensions"]["code"] == "UNAUTHENTICATED" and "revoked" in error["message"]
        assert (await over_sse.event())[0] == "complete"
    after = metric(pair.a.url, "gateway_subscriptions_closed_total", reason="revoked")
    assert after == before + 1
    # A new connection with the key is refused at once, as before.
    async with WsClient.connected(pair.a.url, bearer=secret) as again:
        code, _reason = await again.closed()
        assert code == 4403


# ---------------------------------------------------------- while Redis does not answer


@pytest.mark.parametrize("fail", ["open", "closed"])
async def test_while_redis_hangs_the_limit_holds_per_process_or_refuses(fail: str) -> None:
    with throwaway_redis() as server:
        redis = connect_redis(server.url, 0.25)
        breaker = RedisBreaker(redis, open_seconds=0.5)
        slots = SubscriptionSlots(2, breaker=breaker, renew_seconds=0.2, fail_open=fail == "open")
        try:
            first = await slots.take("caller")
            assert await redis.zcard(PREFIX + "caller") == 1
            server.hang()
            if fail == "closed":
                with pytest.raises(SlotsUnavailable) as refused:
                    await slots.take("caller")
                assert refused.value.retry_after >= 1
                server.resume()
                return
            # Failing open, this process's own count holds the limit meanwhile.
            second = await slots.take("caller")
            with pytest.raises(LimitReached):
                await slots.take("caller")
            slots.release(first)
            third = await slots.take("caller")
            server.resume()
            # Once Redis answers, the renewals write what is held here: second and third.
            for _poll in range(int(EVENT_TIMEOUT * 10)):
                if await _members(redis, "caller") == {second.member, third.member}:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the places held here were never written back")
            with pytest.raises(LimitReached):
                await slots.take("caller")
        finally:
            server.resume()
            await slots.stop()
            await redis.aclose()


async def _members(redis: Any, caller: str) -> set[str]:
    with contextlib.suppress(Exception):
        return {m.decode() for m in await redis.zrange(PREFIX + caller, 0, -1)}
    return set()


async def test_websocket_upgrades_are_rate_limited_per_client_ip(
    tmp_path: Path, database_url: str
) -> None:
    """An upgrade is an HTTP request from its client IP: past the per-IP limit the handshake
    itself is refused, 429 with Retry-After, before anything is accepted."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import InvalidStatus

    per_ip = 3
    with gateway_serve(
        database_url, tmp_path, GATEWAY_RATE_LIMIT_PER_IP=f"{per_ip}/3600"
    ) as served:
        ws_url = served.url.replace("http://", "ws://") + "/graphql"
        options: dict[str, Any] = {"subprotocols": ["graphql-transport-ws"], "open_timeout": 30}
        for _ in range(per_ip):
            async with connect(ws_url, **options):
                pass  # accepted: counted, then left before connection_init
        with pytest.raises(InvalidStatus) as refused:
            async with connect(ws_url, **options):
                pass
        response = refused.value.response
        assert response.status_code == 429
        assert 0 < int(response.headers["Retry-After"]) <= 3600
        assert b"RATE_LIMITED" in response.body
