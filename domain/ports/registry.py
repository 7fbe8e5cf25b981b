"""The domain registry port: is a name free, and register it for a number of years.

`DomainRegistry` is what the domain actions call; `HttpDomainRegistry` is the real client
(JSON over HTTP, httpx). `simulators/registry.py` serves the same API for tests and demos:

    GET  /v1/domains/{name}   -> 200 {"name", "available"}
    POST /v1/registrations    {"name", "years", "registrant"}
                              -> 201 {"name", "years", "registrant", "expiresOn"}
                                 200 the same, when `registrant` already holds the name
                                 409 the name belongs to someone else
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

import httpx

from domain.i18n import _
from domain.ports.tracing import port_call


class RegistryUnavailable(Exception):
    """The registry could not be reached or answered something we do not understand."""


class DomainTaken(Exception):
    """The registry says the name belongs to someone else."""


@dataclass(frozen=True)
class Registration:
    name: str
    years: int
    expires_on: dt.date


class DomainRegistry(Protocol):
    async def is_available(self, name: str) -> bool: ...

    async def register(self, name: str, *, years: int, registrant: str) -> Registration:
        """Registers `name` for `registrant`; replaying it for the same registrant is harmless."""
        ...


class HttpDomainRegistry:
    """The registry's HTTP API through one httpx client; use it as an async context manager."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> HttpDomainRegistry:
        return self

    async def __aexit__(
        self,
        _type: type[BaseException] | None,
        _error: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers: dict[str, str] = {}
        operation = "register" if method == "POST" else "is available"
        try:
            with port_call("domain registry", operation, headers):
                return await self._client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise RegistryUnavailable(
                _("the domain registry did not answer: {error!r}", error=error)
            ) from error

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise RegistryUnavailable(
                _(
                    "the domain registry answered {status_code} without a JSON object",
                    status_code=response.status_code,
                )
            )
        return body

    async def is_available(self, name: str) -> bool:
        response = await self._call("GET", f"/v1/domains/{name}")
        if response.status_code != 200:
            raise RegistryUnavailable(
                _("the domain registry answered {status_code}", status_code=response.status_code)
            )
        available = self._json(response).get("available")
        if not isinstance(available, bool):
            raise RegistryUnavailable(_("the domain registry's answer has no 'available' flag"))
        return available

    async def register(self, name: str, *, years: int, registrant: str) -> Registration:
        response = await self._call(
            "POST",
            "/v1/registrations",
            json={"name": name, "years": years, "registrant": registrant},
        )
        if response.status_code == 409:
            raise DomainTaken(name)
        if response.status_code not in (200, 201):
            raise RegistryUnavailable(
                _("the domain registry answered {status_code}", status_code=response.status_code)
            )
        body = self._json(response)
        try:
            return Registration(
                name=str(body["name"]),
                years=int(body["years"]),
                expires_on=dt.date.fromisoformat(str(body["expiresOn"])),
            )
        except (KeyError, ValueError, TypeError) as error:
            raise RegistryUnavailable(
                _("the domain registry's answer is malformed: {error}", error=error)
            ) from None
