"""Running operations against the schema directly, as most GraphQL tests do, and calling the
ASGI app as an authenticated client."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import jwt
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain import access
from domain.identity import DEVELOPMENT_STAFF, Identity, Role
from gateway.http.app import create_app
from gateway.loaders.context import GraphQLContext
from gateway.resolvers.root import schema
from gateway.settings import Settings


def _closed_loopback_url() -> str:
    """An address on which nothing answers, whatever else runs on this machine: a port this
    process holds bound without listening, so a connection is refused at once."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    _HELD_PORTS.append(holder)
    return f"http://127.0.0.1:{holder.getsockname()[1]}"


_HELD_PORTS: list[socket.socket] = []
# External systems a test does not serve are unreachable, never the fixed default ports a
# developer's own simulators may be listening on.
UNREACHABLE = {"cep_base_url": _closed_loopback_url(), "tv_platform_url": _closed_loopback_url()}
SETTINGS = Settings(**UNREACHABLE)
# HS256 wants a secret of at least 32 bytes.
JWT_SECRET = "test-secret-for-the-gateway-test-suite-0123456789"


@contextmanager
def request_scope(session: AsyncSession) -> Iterator[None]:
    """Runs a request on the test's own session, then makes it the test's again.

    A request binds its session to the caller (ADR 0081); the test's later checks must read
    every row, as the unbound (system) session they started with.
    """
    previous = access.identity_of(session)
    try:
        yield
    finally:
        if previous is None:
            access.unbind(session)
        else:
            access.bind(session, previous)


async def run(
    session: AsyncSession,
    query: str,
    variables: dict[str, Any] | None = None,
    identity: Identity = DEVELOPMENT_STAFF,
) -> dict[str, Any]:
    """Executes `query` and returns its data; fails the test on any GraphQL error."""
    with request_scope(session):
        result = await schema.execute(
            query,
            variable_values=variables,
            context_value=GraphQLContext.for_session(session, SETTINGS, identity=identity),
        )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def run_with_errors(
    session: AsyncSession,
    query: str,
    variables: dict[str, Any] | None = None,
    identity: Identity = DEVELOPMENT_STAFF,
) -> Any:
    with request_scope(session):
        return await schema.execute(
            query,
            variable_values=variables,
            context_value=GraphQLContext.for_session(session, SETTINGS, identity=identity),
        )


def test_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for an app under test: JWTs signed with JWT_SECRET, no rate limits."""
    values: dict[str, Any] = {
        **UNREACHABLE,
        "database_url": database_url,
        "jwt_secret": JWT_SECRET,
        "rate_limit_per_ip": "0",
        "rate_limit_per_identity": "0",
        # The suite's assertions read English; tests of pt-BR ask for it (Accept-Language).
        "language": "en",
    }
    values.update(overrides)
    return Settings(**values)


test_settings.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name


def claims_for(identity: Identity) -> dict[str, Any]:
    claims: dict[str, Any] = {"sub": identity.subject, "role": identity.role.value.lower()}
    if identity.role is Role.STAFF:
        claims["permissions"] = sorted(p.name for p in identity.permissions)
    if identity.customer_id is not None:
        claims["customer_id"] = identity.customer_id
    if identity.reseller_id is not None:
        claims["reseller_id"] = identity.reseller_id
    if identity.voice_subscriber_id is not None:
        claims["voice_subscriber_id"] = identity.voice_subscriber_id
    return claims


def token(
    identity: Identity = DEVELOPMENT_STAFF,
    *,
    secret: str = JWT_SECRET,
    lifetime: int = 300,
    **claims: Any,
) -> str:
    """An HS256 JWT for `identity`, as an identity provider would issue it."""
    now = int(time.time())
    payload = {
        "iss": "isp-gateway",
        "aud": "isp-gateway",
        "iat": now,
        "exp": now + lifetime,
        **claims_for(identity),
        **claims,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, secret, algorithm="HS256")


def bearer(identity: Identity = DEVELOPMENT_STAFF, **claims: Any) -> dict[str, str]:
    return {"authorization": f"Bearer {token(identity, **claims)}"}


@asynccontextmanager
async def http_client(
    engine: AsyncEngine | None,
    settings: Settings,
    identity: Identity | None = DEVELOPMENT_STAFF,
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the ASGI app that sends a token for `identity` (None: no token)."""
    app = create_app(settings, engine=engine)
    headers = bearer(identity) if identity is not None else {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://gateway", headers=headers
        ) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client
