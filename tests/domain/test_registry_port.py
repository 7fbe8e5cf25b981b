"""The domain registry's HTTP client against the simulator, served on a loopback port."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator

import pytest

from domain.ports.registry import DomainTaken, HttpDomainRegistry, RegistryUnavailable
from simulators.registry import RegistryState, running_registry

TODAY = dt.date(2026, 2, 28)


@pytest.fixture(scope="module")
def registry() -> Iterator[tuple[str, RegistryState]]:
    with running_registry(taken=["ocupado.com.br"], today=TODAY) as served:
        yield served


async def test_availability(registry: tuple[str, RegistryState]) -> None:
    url, state = registry
    async with HttpDomainRegistry(url) as client:
        assert await client.is_available("livre-para-todos.com.br") is True
        assert await client.is_available("ocupado.com.br") is False
    assert ("availability", "ocupado.com.br") in state.calls


async def test_register_replay_and_taken(registry: tuple[str, RegistryState]) -> None:
    url, state = registry
    async with HttpDomainRegistry(url) as client:
        first = await client.register("padaria-do-ze.com.br", years=2, registrant="customer-1")
        assert (first.name, first.years, first.expires_on) == (
            "padaria-do-ze.com.br",
            2,
            dt.date(2028, 2, 28),  # two years on, by the registry's own date
        )
        # The same registrant asking again (a retried request) gets the same registration.
        again = await client.register("padaria-do-ze.com.br", years=2, registrant="customer-1")
        assert again == first
        assert await client.is_available("padaria-do-ze.com.br") is False
        with pytest.raises(DomainTaken):
            await client.register("padaria-do-ze.com.br", years=1, registrant="customer-2")
    assert state.holders["padaria-do-ze.com.br"][0] == "customer-1"


async def test_a_refused_request_is_reported_as_unavailable(
    registry: tuple[str, RegistryState],
) -> None:
    url, _ = registry
    async with HttpDomainRegistry(url) as client:
        with pytest.raises(RegistryUnavailable, match="400"):
            await client.is_available("not_a_domain")
        with pytest.raises(RegistryUnavailable, match="400"):
            await client.register("padaria.com.br", years=11, registrant="customer-1")


async def test_an_unreachable_registry_is_unavailable() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with HttpDomainRegistry(f"http://127.0.0.1:{port}", timeout=1.0) as client:
        with pytest.raises(RegistryUnavailable, match="did not answer"):
            await client.is_available("qualquer.com.br")
