"""The NAS simulator against the gateway's RADIUS client (pyrad) over UDP on the loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.ports.radius import (
    DisconnectOutcome,
    NasEndpoint,
    PyradDynamicAuthorization,
    SessionIdentity,
)
from simulators.nas import NasSimulator

SESSION = SessionIdentity(user_name="maria.1", acct_session_id="0001A", nas_ip_address="127.0.0.2")


@pytest.fixture
def nas() -> Iterator[NasSimulator]:
    simulator = NasSimulator(secret="s3cret").start()
    try:
        yield simulator
    finally:
        simulator.stop()


async def test_a_session_it_does_not_have_is_a_nak_503(nas: NasSimulator) -> None:
    client = PyradDynamicAuthorization(timeout=0.5, retries=1)
    result = await client.disconnect(NasEndpoint("127.0.0.1", nas.port, "s3cret"), SESSION)
    assert result.outcome is DisconnectOutcome.REFUSED
    assert (result.error_cause, result.error_cause_name) == (503, "Session-Context-Not-Found")
    assert [r["Acct-Session-Id"] for r in nas.received] == ["0001A"]


async def test_a_request_signed_with_another_secret_is_discarded(nas: NasSimulator) -> None:
    nas.online["0001A"] = "maria.1"
    client = PyradDynamicAuthorization(timeout=0.2, retries=2)
    result = await client.disconnect(NasEndpoint("127.0.0.1", nas.port, "wrong"), SESSION)
    assert result.outcome is DisconnectOutcome.TIMED_OUT and result.attempts == 2
    assert nas.discarded == 2 and nas.received == [] and "0001A" in nas.online
