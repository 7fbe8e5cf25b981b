"""A small stand-in for a Beenius-style multi-TV platform, for tests and demos.

It keeps subscribers, their packages and devices in memory, honours idempotency keys (a key
seen before gets the stored answer and changes nothing), and journals every change it applies,
so a test can check that each change arrived exactly once.

Tests and demos steer it through `/_sim/...` (not part of the platform's API):
- `POST /_sim/faults` `{"status": 503, "count": 2, "delay": 0.5, "afterApply": false}`:
  answer `status` instead of serving (for the next `count` requests, or until cleared), wait
  `delay` seconds before serving, and with `afterApply` apply the change first and then answer
  `status` (an answer lost on the way back);
- `DELETE /_sim/faults`; `GET /_sim/state`; `POST /_sim/reset`.

`gateway simulate tv` serves it; tests start it with uvicorn on a free loopback port.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

COMMANDS = ("REFRESH", "RESET_PARENTAL_KEY")

Handler = Callable[[Request, dict[str, Any]], Awaitable[tuple[int, dict[str, Any] | None]]]


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


@dataclass
class Faults:
    """What the simulator is told to do wrong."""

    status: int | None = None
    count: int | None = None  # requests left to fault; None: until cleared
    delay: float = 0.0
    after_apply: bool = False

    def take(self) -> tuple[int | None, float, bool]:
        """The fault for the next request: (status or None, delay, after apply)."""
        status = self.status
        if status is not None and self.count is not None:
            if self.count <= 0:
                status = None
            else:
                self.count -= 1
        return status, self.delay, self.after_apply


@dataclass
class PlatformState:
    """Everything the simulated platform knows."""

    seed: int = 1
    subscribers: dict[str, dict[str, Any]] = field(default_factory=dict)
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)
    journal: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)  # idempotency key -> answer
    in_flight: set[str] = field(default_factory=set)
    faults: Faults = field(default_factory=Faults)
    requests: int = 0
    finished: int = 0  # requests answered: equal to `requests` when none is still running
    replays: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.next_subscriber = 100_001
        self.next_device = 1
        self.next_command = 1

    def snapshot(self) -> dict[str, Any]:
        return {
            "subscribers": list(self.subscribers.values()),
            "devices": list(self.devices.values()),
            "journal": self.journal,
            "requests": self.requests,
            "replays": self.replays,
        }


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _subscriber(state: PlatformState, subscriber_id: str) -> dict[str, Any]:
    subscriber = state.subscribers.get(subscriber_id)
    if subscriber is None:
        raise ApiError(404, "subscriber_not_found", f"no subscriber {subscriber_id}")
    return subscriber


def _device(state: PlatformState, device_id: str) -> dict[str, Any]:
    device = state.devices.get(device_id)
    if device is None:
        raise ApiError(404, "device_not_found", f"no device {device_id}")
    return device


def _device_view(state: PlatformState, device: dict[str, Any]) -> dict[str, Any]:
    subscriber = state.subscribers.get(device["subscriberId"], {})
    return {**device, "packages": sorted(subscriber.get("packages", {}))}


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, "invalid_request", f"`{name}` must be a non-empty string")
    return value


def _casn_in_use(state: PlatformState, casn: str, except_device: str | None = None) -> None:
    for device in state.devices.values():
        if device["casn"] == casn and device["id"] != except_device:
            raise ApiError(409, "casn_in_use", f"CASN {casn} is on device {device['id']}")


async def create_subscriber(request: Request, body: dict[str, Any]) -> tuple[int, Any]:
    state: PlatformState = request.app.state.platform
    external_id = _text(body, "externalId")
    for subscriber in state.subscribers.values():
        if subscriber["externalId"] == external_id:
            return 200, subscriber
    subscriber_id = str(state.next_subscriber)
    state.next_subscriber += 1
    subscriber = {
        "id": subscriber_id,
        "externalId": external_id,
        "name": _text(body, "name"),
        "document": body.get("document"),
        "authPin": f"{state.rng.randrange(10_000):04d}",
        "packages": {},
        "createdAt": _now(),
    }
    state.subscribers[subscriber_id] = subscriber
    return 201, subscriber


async def get_subscriber(request: Request, _body: dict[str, Any]) -> tuple[int, Any]:
    state: PlatformState = request.app.state.platform
    return 200, _subscriber(state, request.path_params["subscriber_id"])


async def put_package(request: Request, body: dict[str, Any]) -> tuple[int, Any]:
    state: PlatformState = request.app.state.platform
    subscriber = _subscriber(state, request.path_params["subscriber_id"])
    code = request.path_params["code"]
    entry = {"code": code, "startDate": body.get("startDate"), "addedAt": _now()}
    subscriber["packages"][code] = entry
    return 200, entry


async def delete_package(request: Request, _body: dict[str, Any]) -> tuple[int, Any]:
    state: PlatformState = request.app.state.platform
    subscriber = _subscriber(state, request.path_params["subscriber_id"])
    subscriber["packages"].pop(request.path_params["code"], None)
    return 204, None


async def create_device(request: Request, body: dict[str, Any]) -> tuple[int, Any]:
    state: PlatformState = request.app.state.platform
    subscriber = _subscriber(state, request.path_params["subscriber_id"])
    casn = _text(body, "casn")
    _casn_in_use(state, casn)
    device_id = f"DEV-{state.next_device:06d}"
    state.next_device += 1
    device = {
        "id": device_id,
        "subscriberId": subscriber["id"],
        "externalId": body.get("externalId"),
        "casn": casn,
        "location": _text(body, "location"),
        "status": "ONLINE",
        "firmware": "4.2.1",
        "ipAddress": f"10.64.{state.next_device // 250}.{state.next_device % 250 + 2}",
        "lastSeenAt": _now(),
        "commands": [],
    }
    state.devices[device_id] = device
    return 201, _device_view(state, device)


async def get_device(request: Request, _body: dict[str, Any]) -> tuple[int, Any]:
    state: PlatformState = request.app.state.platform
    device = _device(state, request.path_params["device_id"])
    device["lastSeenAt"] = _now()
    return 200, _device_view(state, device)


async def patch_device(request: Request, body: dict[str, Any]) -> tuple[int, Any]:
    state: PlatformState = request.app.state.platform
    device = _device(state, request.path_params["device_id"])
    device["location"] = _text(body, "location")
    return 200, _device_view(state, device)


async def swap_device(request: Request, body: dict[str, Any]) -> tuple[int, Any]:
    state: PlatformState = request.app.state.platform
    device = _device(state, request.path_params["device_id"])
    casn = _text(body, "casn")
    _casn_in_use(state, casn, except_device=device["id"])
    device["casn"] = casn
    return 200, _device_view(state, device)


async def delete_device(request: Request, _body: dict[str, Any]) -> tuple[int, Any]:
    state: PlatformState = request.app.state.platform
    _device(state, request.path_params["device_id"])
    del state.devices[request.path_params["device_id"]]
    return 204, None


async def post_command(request: Request, body: dict[str, Any]) -> tuple[int, Any]:
    state: PlatformState = request.app.state.platform
    device = _device(state, request.path_params["device_id"])
    command = _text(body, "command")
    if command not in COMMANDS:
        raise ApiError(422, "invalid_command", f"command must be one of {', '.join(COMMANDS)}")
    entry = {"id": f"CMD-{state.next_command:06d}", "command": command, "status": "QUEUED"}
    state.next_command += 1
    device["commands"].append(entry)
    return 202, entry


def _fingerprint(request: Request, raw: bytes) -> str:
    return hashlib.sha256(f"{request.method} {request.url.path} ".encode() + raw).hexdigest()


def api(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wraps a handler with the API's cross-cutting parts: auth, faults, idempotency, journal."""

    async def endpoint(request: Request) -> Response:
        state: PlatformState = request.app.state.platform
        state.requests += 1
        try:
            return await serve(request, state)
        finally:
            state.finished += 1

    async def serve(request: Request, state: PlatformState) -> Response:
        api_key = request.app.state.api_key
        if api_key and request.headers.get("authorization") != f"Bearer {api_key}":
            return _error(401, "unauthorized", "missing or wrong API key")
        fault_status, delay, after_apply = state.faults.take()
        if delay:
            await asyncio.sleep(delay)
        if fault_status is not None and not after_apply:
            return _error(fault_status, "simulated_fault", "simulated failure")
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return _error(400, "invalid_json", "the body is not JSON")
        if not isinstance(body, dict):
            return _error(400, "invalid_json", "the body must be a JSON object")
        changes = request.method != "GET"
        key = request.headers.get("idempotency-key") if changes else None
        if key:
            stored = state.answers.get(key)
            if stored is not None:
                if stored["fingerprint"] != _fingerprint(request, raw):
                    return _error(
                        422, "idempotency_key_reused", "the key was used for another request"
                    )
                state.replays += 1
                return _answer(stored["status"], stored["body"], replayed=True)
            if key in state.in_flight:
                return _error(409, "idempotency_key_in_use", "a request with this key is running")
            state.in_flight.add(key)
        try:
            status, result = await handler(request, body)
        except ApiError as error:
            # A refused request changed nothing: it is not remembered, asking again may succeed.
            return _error(error.status, error.error, error.message)
        finally:
            if key:
                state.in_flight.discard(key)
        if changes:
            state.journal.append(
                {"method": request.method, "path": request.url.path, "key": key, "at": _now()}
            )
            if key:
                state.answers[key] = {
                    "fingerprint": _fingerprint(request, raw),
                    "status": status,
                    "body": result,
                }
        if fault_status is not None:
            return _error(fault_status, "simulated_fault", "simulated failure after applying")
        return _answer(status, result)

    return endpoint


def _answer(status: int, body: Any, *, replayed: bool = False) -> Response:
    headers = {"idempotent-replayed": "true"} if replayed else None
    if body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


def _error(status: int, error: str, message: str) -> Response:
    return JSONResponse({"error": error, "message": message}, status_code=status)


async def set_faults(request: Request) -> Response:
    body = await request.json()
    request.app.state.platform.faults = Faults(
        status=body.get("status"),
        count=body.get("count"),
        delay=float(body.get("delay") or 0.0),
        after_apply=bool(body.get("afterApply")),
    )
    return JSONResponse({"ok": True})


async def clear_faults(request: Request) -> Response:
    request.app.state.platform.faults = Faults()
    return JSONResponse({"ok": True})


async def get_state(request: Request) -> Response:
    return JSONResponse(request.app.state.platform.snapshot())


async def reset(request: Request) -> Response:
    request.app.state.platform = PlatformState(seed=request.app.state.platform.seed)
    return JSONResponse({"ok": True})


def create_app(*, api_key: str | None = None, seed: int = 1) -> Starlette:
    """The simulator as an ASGI app; `app.state.platform` is its state, for in-process tests."""
    prefix = "/api/v1"
    routes = [
        Route(f"{prefix}/subscribers", api(create_subscriber), methods=["POST"]),
        Route(f"{prefix}/subscribers/{{subscriber_id}}", api(get_subscriber), methods=["GET"]),
        Route(
            f"{prefix}/subscribers/{{subscriber_id}}/packages/{{code}}",
            api(put_package),
            methods=["PUT"],
        ),
        Route(
            f"{prefix}/subscribers/{{subscriber_id}}/packages/{{code}}",
            api(delete_package),
            methods=["DELETE"],
        ),
        Route(
            f"{prefix}/subscribers/{{subscriber_id}}/devices", api(create_device), methods=["POST"]
        ),
        Route(f"{prefix}/devices/{{device_id}}", api(get_device), methods=["GET"]),
        Route(f"{prefix}/devices/{{device_id}}", api(patch_device), methods=["PATCH"]),
        Route(f"{prefix}/devices/{{device_id}}", api(delete_device), methods=["DELETE"]),
        Route(f"{prefix}/devices/{{device_id}}/swap", api(swap_device), methods=["POST"]),
        Route(f"{prefix}/devices/{{device_id}}/commands", api(post_command), methods=["POST"]),
        Route("/_sim/faults", set_faults, methods=["POST"]),
        Route("/_sim/faults", clear_faults, methods=["DELETE"]),
        Route("/_sim/state", get_state, methods=["GET"]),
        Route("/_sim/reset", reset, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.platform = PlatformState(seed=seed)
    app.state.api_key = api_key
    return app
