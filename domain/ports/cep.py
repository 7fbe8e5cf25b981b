"""CEP lookup (busca de endereço por CEP): the port and its client for a ViaCEP-style API.

The API answers `GET {base}/ws/{cep}/json/` with the address, or `{"erro": true}` when the CEP
does not exist (ViaCEP's own convention), and 400 when the CEP is malformed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from domain.i18n import _
from domain.ports.tracing import port_call
from domain.rules.keys import ascii_digits


@dataclass(frozen=True)
class CepAddress:
    """What a CEP names: street, district, city and state (number and complement are by hand)."""

    cep: str  # 8 digits
    street: str
    complement: str | None
    district: str
    city: str
    state: str


class CepUnavailable(Exception):
    """The lookup service could not answer (down, timed out, or answered nonsense)."""


class CepLookup(Protocol):
    """Finds the address of a CEP; None when the CEP does not exist."""

    async def lookup(self, cep: str) -> CepAddress | None: ...


def normalize_cep(raw: str) -> str | None:
    """The 8 digits of a CEP written as `01310-100` or `01310100`; None if it is not one."""
    digits = raw.strip().replace("-", "").replace(".", "")
    return digits if len(digits) == 8 and ascii_digits(digits) else None


class HttpCepLookup:
    """The port's client for a ViaCEP-style HTTP API at `base_url`."""

    def __init__(self, base_url: str, *, timeout: float = 3.0, retries: int = 1) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries

    async def lookup(self, cep: str) -> CepAddress | None:
        digits = normalize_cep(cep)
        if digits is None:
            return None
        body = await self._get(f"{self.base_url}/ws/{digits}/json/")
        if body is None or body.get("erro") in (True, "true"):
            return None
        try:
            return CepAddress(
                cep=digits,
                street=str(body["logradouro"]),
                complement=str(body.get("complemento") or "") or None,
                district=str(body["bairro"]),
                city=str(body["localidade"]),
                state=str(body["uf"]),
            )
        except KeyError as missing:
            raise CepUnavailable(
                _("the CEP service answered without {missing}", missing=missing)
            ) from None

    async def _get(self, url: str) -> dict[str, Any] | None:
        last: Exception | None = None
        # A transient network error gets one more try; a clear answer never does.
        for _attempt in range(self.retries + 1):
            headers: dict[str, str] = {}
            try:
                with port_call("cep", "lookup", headers):
                    async with httpx.AsyncClient(timeout=self.timeout) as client:
                        response = await client.get(url, headers=headers)
            except httpx.HTTPError as error:
                last = error
                continue
            if response.status_code == 400:
                return None
            if response.status_code != 200:
                raise CepUnavailable(
                    _(
                        "the CEP service answered HTTP {status_code}",
                        status_code=response.status_code,
                    )
                )
            try:
                body = response.json()
            except ValueError:
                raise CepUnavailable(_("the CEP service did not answer JSON")) from None
            if not isinstance(body, dict):
                raise CepUnavailable(_("the CEP service answered something that is not an object"))
            return body
        raise CepUnavailable(_("the CEP service is unreachable: {kind}", kind=type(last).__name__))
