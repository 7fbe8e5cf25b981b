"""The TV platform port (Beenius-style multi-TV): subscribers, their packages, devices, commands.

`TvPlatform` is what the domain needs from the platform; `HttpTvPlatform` speaks its REST API
(documented in docs/tv.md, served for tests and demos by simulators/tv_platform.py).

Every call that changes something carries an idempotency key: the platform remembers the
answer it gave to a key, so a redelivery after a lost answer changes nothing twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol, Self
from urllib.parse import quote

import httpx

from domain.i18n import Message, _
from domain.ports.tracing import port_call

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class PlatformSubscriber:
    """A subscriber as the platform knows it; `id` and `auth_pin` are the platform's own."""

    id: str
    auth_pin: str
    external_id: str


@dataclass(frozen=True)
class PlatformDevice:
    """A set-top box as the platform knows it: its id and everything the platform says about it."""

    id: str
    data: dict[str, Any]


class TvPlatformError(Exception):
    """The platform did not do what was asked; `retryable` says whether asking again may help."""

    retryable = False

    def __init__(self, message: Message | str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = str(message)  # in the language of the request (or process) it met
        self.status = status


class TvPlatformUnavailable(TvPlatformError):
    """Not reachable, too slow, overloaded or failing (5xx): try again later."""

    retryable = True


class TvPlatformRejected(TvPlatformError):
    """The platform refused the request (4xx): asking again the same way will not help."""


class SubscriberNotFound(TvPlatformRejected):
    """The platform does not know this subscriber id (e.g. it was provisioned elsewhere)."""


class DeviceNotFound(TvPlatformRejected):
    """The platform does not know this device id (removed already, or never created there)."""


class TvPlatform(Protocol):
    """What the gateway asks of a multi-TV platform."""

    async def ensure_subscriber(
        self, *, external_id: str, name: str, document: str, idempotency_key: str
    ) -> PlatformSubscriber:
        """The subscriber with our `external_id`, created on first call."""
        ...

    async def add_package(
        self,
        *,
        subscriber_id: str,
        package_code: str,
        start_date: dt.date,
        idempotency_key: str,
    ) -> None: ...

    async def remove_package(
        self, *, subscriber_id: str, package_code: str, idempotency_key: str
    ) -> None: ...

    async def add_device(
        self,
        *,
        subscriber_id: str,
        external_id: str,
        casn: str,
        location: str,
        idempotency_key: str,
    ) -> PlatformDevice: ...

    async def move_device(
        self, *, device_id: str, location: str, idempotency_key: str
    ) -> PlatformDevice: ...

    async def swap_device(
        self, *, device_id: str, casn: str, idempotency_key: str
    ) -> PlatformDevice: ...

    async def remove_device(self, *, device_id: str, idempotency_key: str) -> None: ...

    async def send_command(self, *, device_id: str, command: str, idempotency_key: str) -> str:
        """Queues `command` for the box; returns the platform's command id."""
        ...

    async def device(self, device_id: str) -> PlatformDevice:
        """What the platform currently knows about a device (read-only)."""
        ...


class HttpTvPlatform:
    """The TV platform over HTTP (httpx). Use as an async context manager, or call aclose()."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"accept": "application/json"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + API_PREFIX,
            headers=headers,
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        headers = {"idempotency-key": idempotency_key} if idempotency_key else {}
        try:
            with port_call("tv platform", f"{method} {_shape(path)}", headers):
                response = await self._client.request(method, path, json=json, headers=headers)
        except httpx.TimeoutException as error:
            raise TvPlatformUnavailable(
                _("TV platform did not answer in time ({kind})", kind=type(error).__name__)
            ) from error
        except httpx.HTTPError as error:
            raise TvPlatformUnavailable(
                _(
                    "TV platform unreachable ({kind}: {error})",
                    kind=type(error).__name__,
                    error=error,
                )
            ) from error
        body: dict[str, Any] = {}
        if response.content:
            try:
                parsed = response.json()
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                body = parsed
            elif response.is_success:
                raise TvPlatformUnavailable(
                    _(
                        "TV platform answered HTTP {status_code} without a JSON object",
                        status_code=response.status_code,
                    ),
                    status=response.status_code,
                )
        if response.is_success:
            return body
        status = response.status_code
        detail = body.get("message") or body.get("error") or response.reason_phrase
        message = _("TV platform answered HTTP {status}: {detail}", status=status, detail=detail)
        # 409 idempotency_key_in_use: the first request with this key is still running.
        if status >= 500 or status in (408, 429) or body.get("error") == "idempotency_key_in_use":
            raise TvPlatformUnavailable(message, status=status)
        if status == 404 and body.get("error") == "subscriber_not_found":
            raise SubscriberNotFound(message, status=status)
        if status == 404 and body.get("error") == "device_not_found":
            raise DeviceNotFound(message, status=status)
        raise TvPlatformRejected(message, status=status)

    async def ensure_subscriber(
        self, *, external_id: str, name: str, document: str, idempotency_key: str
    ) -> PlatformSubscriber:
        body = await self._request(
            "POST",
            "/subscribers",
            json={"externalId": external_id, "name": name, "document": document},
            idempotency_key=idempotency_key,
        )
        try:
            return PlatformSubscriber(
                id=str(body["id"]), auth_pin=str(body["authPin"]), external_id=external_id
            )
        except KeyError as error:
            raise TvPlatformRejected(_("TV platform answer lacks {error}", error=error)) from None

    async def add_package(
        self,
        *,
        subscriber_id: str,
        package_code: str,
        start_date: dt.date,
        idempotency_key: str,
    ) -> None:
        await self._request(
            "PUT",
            f"/subscribers/{_q(subscriber_id)}/packages/{_q(package_code)}",
            json={"startDate": start_date.isoformat()},
            idempotency_key=idempotency_key,
        )

    async def remove_package(
        self, *, subscriber_id: str, package_code: str, idempotency_key: str
    ) -> None:
        await self._request(
            "DELETE",
            f"/subscribers/{_q(subscriber_id)}/packages/{_q(package_code)}",
            idempotency_key=idempotency_key,
        )

    async def add_device(
        self,
        *,
        subscriber_id: str,
        external_id: str,
        casn: str,
        location: str,
        idempotency_key: str,
    ) -> PlatformDevice:
        body = await self._request(
            "POST",
            f"/subscribers/{_q(subscriber_id)}/devices",
            json={"externalId": external_id, "casn": casn, "location": location},
            idempotency_key=idempotency_key,
        )
        return _device(body)

    async def move_device(
        self, *, device_id: str, location: str, idempotency_key: str
    ) -> PlatformDevice:
        body = await self._request(
            "PATCH",
            f"/devices/{_q(device_id)}",
            json={"location": location},
            idempotency_key=idempotency_key,
        )
        return _device(body)

    async def swap_device(
        self, *, device_id: str, casn: str, idempotency_key: str
    ) -> PlatformDevice:
        body = await self._request(
            "POST",
            f"/devices/{_q(device_id)}/swap",
            json={"casn": casn},
            idempotency_key=idempotency_key,
        )
        return _device(body)

    async def remove_device(self, *, device_id: str, idempotency_key: str) -> None:
        await self._request("DELETE", f"/devices/{_q(device_id)}", idempotency_key=idempotency_key)

    async def send_command(self, *, device_id: str, command: str, idempotency_key: str) -> str:
        body = await self._request(
            "POST",
            f"/devices/{_q(device_id)}/commands",
            json={"command": command},
            idempotency_key=idempotency_key,
        )
        return str(body.get("id", ""))

    async def device(self, device_id: str) -> PlatformDevice:
        return _device(await self._request("GET", f"/devices/{_q(device_id)}"))


def _shape(path: str) -> str:
    """The path with its ids taken out (a span's name names the kind of call, not the row)."""
    parts = path.split("/")
    return "/".join(
        "{id}" if index % 2 == 0 and index > 1 else part for index, part in enumerate(parts)
    )


def _q(segment: str) -> str:
    """One path segment, escaped: ids and codes come from data, never from the URL's shape."""
    return quote(segment, safe="")


def _device(body: dict[str, Any]) -> PlatformDevice:
    if "id" not in body:
        raise TvPlatformRejected(_("TV platform answer lacks the device id"))
    return PlatformDevice(id=str(body["id"]), data=body)
