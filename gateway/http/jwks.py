"""Verification keys of an identity provider: a JWKS from a URL (cached, refreshed) or a file.

An identity provider (Keycloak, Entra ID...) publishes its signing keys as a JWKS and rotates
them: a new key appears (new `kid`) before tokens are signed with it, the old one disappears
later. `RemoteKeys` keeps the last set it fetched for `cache_seconds`, and fetches again at
once when a token names a `kid` it does not hold, at most once every `min_refresh_seconds`
whatever the tokens say, so that made-up key ids cannot turn the gateway into a flood on the
provider (ADR 0172). Concurrent requests that need a fetch wait for the same one. When the
provider cannot be reached the last set stays in use; with none at all, authentication is
unavailable (503), not refused.

PyJWT's `PyJWKClient` does the same over urllib, blocking the event loop on every fetch and
fetching again for every unknown `kid`; we use PyJWT's `PyJWKSet` for the keys themselves and
httpx for the fetch.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import jwt

from domain.i18n import _
from domain.ports.tracing import port_call

log = logging.getLogger("gateway.http.jwks")

# The key type each accepted algorithm needs: a token's `alg` is honoured only with a key made
# for it (an RSA key never verifies an ES256 token, a JWKS key never an HS256 one).
ASYMMETRIC = {"RS256": ("RSA", None), "ES256": ("EC", "P-256"), "EdDSA": ("OKP", "Ed25519")}


class KeysUnavailable(Exception):
    """No key set could be had from the identity provider."""


class UnknownKey(Exception):
    """The token names a key the provider does not publish (or names none among several)."""


def keys_of(jwks: dict[str, Any]) -> list[jwt.PyJWK]:
    """The signing keys of a JWKS document that we can use (others are skipped)."""
    usable = []
    for data in jwks.get("keys", []) if isinstance(jwks, dict) else []:
        if not isinstance(data, dict) or data.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(data)
        except jwt.PyJWTError:
            continue  # a key type or algorithm we do not verify with
        if key.algorithm_name in ASYMMETRIC:
            usable.append(key)
    return usable


def pick(keys: list[jwt.PyJWK], kid: str | None, algorithm: str) -> Any:
    """The verification key for a token's `kid` and `alg`; UnknownKey when none fits."""
    if kid is None:
        candidates = [key for key in keys if key.algorithm_name == algorithm]
        if len(candidates) != 1:
            raise UnknownKey(_("The token names no key (`kid`) and the JWKS has several."))
        return candidates[0].key
    for key in keys:
        if key.key_id == kid:
            kty, curve = ASYMMETRIC[algorithm]
            data = key._jwk_data
            if (
                key.algorithm_name != algorithm
                or data.get("kty") != kty
                or (curve is not None and data.get("crv") != curve)
            ):
                raise UnknownKey(
                    _(
                        "The token's key `{kid}` is not a key for {algorithm}.",
                        kid=kid,
                        algorithm=algorithm,
                    )
                )
            return key.key
    raise UnknownKey(_("The token's key id is not in the JWKS."))


class StaticKeys:
    """A JWKS read once from a file."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.keys = keys_of(jwks)

    async def key(self, kid: str | None, algorithm: str) -> Any:
        return pick(self.keys, kid, algorithm)

    async def aclose(self) -> None:
        return None


class RemoteKeys:
    """The JWKS at `url`, cached and refreshed as described above."""

    def __init__(
        self,
        url: str,
        *,
        cache_seconds: float = 300.0,
        min_refresh_seconds: float = 10.0,
        timeout: float = 3.0,
        clock: Any = time.monotonic,
    ) -> None:
        self.url = url
        self.cache_seconds = cache_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self.clock = clock
        self.keys: list[jwt.PyJWK] = []
        self.fetches = 0
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self._client = httpx.AsyncClient(timeout=timeout, headers={"accept": "application/json"})

    async def key(self, kid: str | None, algorithm: str) -> Any:
        now = self.clock()
        if self._fetched_at is None or now - self._fetched_at >= self.cache_seconds:
            await self._refresh(since=now)
        if not self.keys:
            raise KeysUnavailable(_("the identity provider's keys could not be fetched"))
        try:
            return pick(self.keys, kid, algorithm)
        except UnknownKey:
            # Perhaps the provider rotated: ask again, unless it was asked a moment ago.
            if not await self._refresh(since=now):
                raise
        return pick(self.keys, kid, algorithm)

    async def ensure(self) -> None:
        """Readiness: a key set is held, or can be fetched now (KeysUnavailable if not)."""
        if not self.keys:
            await self._refresh(since=self.clock())
        if not self.keys:
            raise KeysUnavailable(_("the identity provider's keys could not be fetched"))

    async def _refresh(self, *, since: float) -> bool:
        """Fetches the set (one fetch for every request waiting on it); False when the last
        attempt was too recent to ask again."""
        async with self._lock:
            attempted = self._attempted_at
            if attempted is not None and attempted >= since:
                return True  # fetched while this request waited
            if attempted is not None and self.clock() - attempted < self.min_refresh_seconds:
                return False
            self._attempted_at = self.clock()
            try:
                self.keys = keys_of(await self._fetch())
                self._fetched_at = self._attempted_at
            except (httpx.HTTPError, ValueError) as error:
                # The last set stays in use; the provider is asked again after a while.
                log.warning("JWKS not fetched from the identity provider: %s", type(error).__name__)
            return True

    async def _fetch(self) -> Any:
        self.fetches += 1
        headers: dict[str, str] = {}
        with port_call("identity provider", "fetch JWKS", headers):
            response = await self._client.get(self.url, headers=headers)
        response.raise_for_status()
        return response.json()

    async def aclose(self) -> None:
        await self._client.aclose()
