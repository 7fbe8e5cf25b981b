"""The TV platform simulator: its API, idempotency keys, faults, and the HTTP client against it."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest

from domain.ports.tv_platform import (
    HttpTvPlatform,
    SubscriberNotFound,
    TvPlatformRejected,
    TvPlatformUnavailable,
)
from simulators.tv_platform import create_app


@pytest.fixture
def app():  # type: ignore[no-untyped-def]
    return create_app(api_key="secret")


@pytest.fixture
async def admin(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sim"
    ) as client:
        yield client


@pytest.fixture
async def platform(app) -> AsyncIterator[HttpTvPlatform]:  # type: ignore[no-untyped-def]
    async with HttpTvPlatform(
        "http://sim", api_key="secret", transport=httpx.ASGITransport(app=app)
    ) as client:
        yield client


async def test_client_and_simulator_speak_the_same_api(
    platform: HttpTvPlatform, admin: httpx.AsyncClient
) -> None:
    subscriber = await platform.ensure_subscriber(
        external_id="42", name="Ana", document="12345678909", idempotency_key="k1"
    )
    same = await platform.ensure_subscriber(
        external_id="42", name="Ana", document="12345678909", idempotency_key="k2"
    )
    assert same == subscriber and len(subscriber.auth_pin) == 4
    await platform.add_package(
        subscriber_id=subscriber.id,
        package_code="BNS-HBO MAX",  # escaped in the path
        start_date=dt.date(2026, 1, 2),
        idempotency_key="k3",
    )
    device = await platform.add_device(
        subscriber_id=subscriber.id, external_id="7", casn="C1", location="Sala",
        idempotency_key="k4",
    )  # fmt: skip
    assert device.data["packages"] == ["BNS-HBO MAX"]
    moved = await platform.move_device(device_id=device.id, location="Quarto", idempotency_key="k5")
    assert moved.data["location"] == "Quarto"
    swapped = await platform.swap_device(device_id=device.id, casn="C2", idempotency_key="k6")
    assert swapped.data["casn"] == "C2"
    command_id = await platform.send_command(
        device_id=device.id, command="RESET_PARENTAL_KEY", idempotency_key="k7"
    )
    assert command_id.startswith("CMD-")
    assert (await platform.device(device.id)).data["commands"][0]["command"] == "RESET_PARENTAL_KEY"
    await platform.remove_package(
        subscriber_id=subscriber.id, package_code="BNS-HBO MAX", idempotency_key="k8"
    )
    await platform.remove_device(device_id=device.id, idempotency_key="k9")
    state = (await admin.get("/_sim/state")).json()
    assert state["devices"] == [] and state["subscribers"][0]["packages"] == {}
    # k2 found the subscriber by its external id: a change-free answer is journaled too.
    assert [entry["key"] for entry in state["journal"]] == [f"k{n}" for n in range(1, 10)]


async def test_refusals_map_to_typed_errors(platform: HttpTvPlatform) -> None:
    with pytest.raises(SubscriberNotFound):
        await platform.add_package(
            subscriber_id="nope", package_code="X", start_date=dt.date.today(), idempotency_key="a"
        )
    subscriber = await platform.ensure_subscriber(
        external_id="1", name="Ana", document="1", idempotency_key="b"
    )
    await platform.add_device(
        subscriber_id=subscriber.id, external_id="1", casn="C1", location="Sala",
        idempotency_key="c",
    )  # fmt: skip
    with pytest.raises(TvPlatformRejected, match="409"):
        await platform.add_device(
            subscriber_id=subscriber.id, external_id="2", casn="C1", location="Sala",
            idempotency_key="d",
        )  # fmt: skip
    with pytest.raises(TvPlatformRejected, match="422"):
        await platform.send_command(device_id="DEV-000001", command="REBOOT", idempotency_key="e")
    with pytest.raises(TvPlatformRejected, match="404"):
        await platform.device("DEV-999999")


async def test_a_repeated_key_gets_the_stored_answer_and_changes_nothing(
    platform: HttpTvPlatform, admin: httpx.AsyncClient
) -> None:
    subscriber = await platform.ensure_subscriber(
        external_id="1", name="Ana", document="1", idempotency_key="s"
    )
    first = await platform.add_device(
        subscriber_id=subscriber.id, external_id="1", casn="C1", location="Sala",
        idempotency_key="same",
    )  # fmt: skip
    again = await platform.add_device(
        subscriber_id=subscriber.id, external_id="1", casn="C1", location="Sala",
        idempotency_key="same",
    )  # fmt: skip
    assert again.id == first.id
    state = (await admin.get("/_sim/state")).json()
    assert len(state["devices"]) == 1 and state["replays"] == 1
    reused = await admin.post(
        f"/api/v1/devices/{first.id}/commands",
        json={"command": "REFRESH"},
        headers={"idempotency-key": "same", "authorization": "Bearer secret"},
    )
    assert reused.status_code == 422 and reused.json()["error"] == "idempotency_key_reused"


async def test_faults_and_auth(platform: HttpTvPlatform, admin: httpx.AsyncClient) -> None:
    assert (await admin.post("/_sim/faults", json={"status": 503, "count": 2})).status_code == 200
    for _ in range(2):
        with pytest.raises(TvPlatformUnavailable, match="503"):
            await platform.ensure_subscriber(
                external_id="1", name="Ana", document="1", idempotency_key="x"
            )
    assert (
        await platform.ensure_subscriber(
            external_id="1", name="Ana", document="1", idempotency_key="x"
        )
    ).external_id == "1"

    await admin.post("/_sim/faults", json={"status": 500, "afterApply": True})
    with pytest.raises(TvPlatformUnavailable, match="500"):
        await platform.ensure_subscriber(
            external_id="2", name="Bia", document="2", idempotency_key="y"
        )
    await admin.delete("/_sim/faults")
    state = (await admin.get("/_sim/state")).json()
    assert {s["externalId"] for s in state["subscribers"]} == {"1", "2"}  # applied before the 500

    unauthorized = await admin.get("/api/v1/subscribers/100001")
    assert unauthorized.status_code == 401
    await admin.post("/_sim/reset")
    assert (await admin.get("/_sim/state")).json()["subscribers"] == []


async def test_an_unreachable_platform_is_unavailable() -> None:
    async with HttpTvPlatform("http://127.0.0.1:9", timeout=0.5) as platform:
        with pytest.raises(TvPlatformUnavailable, match="unreachable"):
            await platform.device("DEV-1")
