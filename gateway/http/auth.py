"""Who is calling: an Identity from a bearer JWT or API key (ADR 0080).

`Authorization: Bearer <token>`: a token that starts with `gk_` is an API key (looked up by its
SHA-256), anything else is a JWT, verified with the configured HS256 secret or RS256 public
key / JWKS file, with issuer, audience and expiry checked.

JWT claims: `sub` (required), `role` (`staff`, `subscriber`, `reseller` or `voice_subscriber`),
`permissions` (staff: a list of Permission names; unknown names grant nothing), `customer_id`
(subscriber), `reseller_id` (reseller), `voice_subscriber_id` (voice subscriber, ADR 0094).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request

from domain.actions.access import API_KEY_PREFIX, secret_hash
from domain.identity import DEVELOPMENT_STAFF, Identity, Permission, Role
from domain.reads import access as access_reads
from domain.rules.keys import MAX_KEY, parse_key
from gateway.settings import Settings

log = logging.getLogger("gateway.http.auth")


class AuthenticationFailed(Exception):
    """Credentials were sent but are not good; the client gets 401 and this message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def identity_from_claims(
    claims: Mapping[str, Any], *, subject_prefix: str = "", api_key_id: int | None = None
) -> Identity:
    """The identity a verified token describes; refuses claims that do not make one."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise AuthenticationFailed("The token has no subject (`sub`).")
    raw_role = claims.get("role")
    try:
        role = Role(str(raw_role).upper())
    except ValueError:
        raise AuthenticationFailed(
            "The token's `role` must be staff, subscriber, reseller or voice_subscriber."
        ) from None
    names = claims.get("permissions") or []
    if not isinstance(names, list):
        raise AuthenticationFailed("The token's `permissions` must be a list.")
    known = {p.name for p in Permission}
    permissions = frozenset(Permission[n] for n in names if isinstance(n, str) and n in known)
    customer_id = _key(claims, "customer_id") if role is Role.SUBSCRIBER else None
    reseller_id = _key(claims, "reseller_id") if role is Role.RESELLER else None
    voice_subscriber_id = (
        _key(claims, "voice_subscriber_id") if role is Role.VOICE_SUBSCRIBER else None
    )
    return Identity(
        subject=f"{subject_prefix}{subject}",
        role=role,
        permissions=permissions if role is Role.STAFF else frozenset(),
        customer_id=customer_id,
        reseller_id=reseller_id,
        voice_subscriber_id=voice_subscriber_id,
        issuer=claims["iss"] if isinstance(claims.get("iss"), str) else None,
        api_key_id=api_key_id,
    )


def _key(claims: Mapping[str, Any], name: str) -> int:
    # The one key parser (domain.rules.keys): ASCII digits or an integer, within the key column.
    value = parse_key(claims.get(name))
    if value is None:
        raise AuthenticationFailed(
            f"The token's role needs `{name}`: a positive integer of at most {MAX_KEY}."
        )
    return value


def parse_dev_identity(raw: str | None) -> Identity | None:
    """GATEWAY_DEV_IDENTITY: "staff", "subscriber:<customer id>", "reseller:<reseller id>" or
    "voice_subscriber:<voice subscriber id>"."""
    if not raw:
        return None
    role, _, key = raw.partition(":")
    role = role.strip().lower()
    if role == "staff" and not key:
        return DEVELOPMENT_STAFF
    claims = {
        "subscriber": "customer_id",
        "reseller": "reseller_id",
        "voice_subscriber": "voice_subscriber_id",
    }
    if role in claims and parse_key(key.strip()) is not None:
        claim = claims[role]
        return identity_from_claims({"sub": f"development-{role}", "role": role, claim: key})
    raise ValueError(
        "GATEWAY_DEV_IDENTITY must be staff, subscriber:<customer id>, reseller:<reseller id> "
        "or voice_subscriber:<voice subscriber id>"
    )


# How many verified tokens each process remembers (oldest forgotten first).
_VERIFIED_TOKENS = 4096


class Authenticator:
    """Turns a request's Authorization header into an Identity (None: anonymous)."""

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._verified: dict[str, tuple[Identity, float]] = {}
        self.settings = settings
        self.sessions = sessions
        self.development_identity = parse_dev_identity(settings.dev_identity)
        self._hs256 = settings.jwt_secret
        self._rs256_key: Any = None
        self._jwks: jwt.PyJWKSet | None = None
        if settings.jwt_public_key_file:
            pem = Path(settings.jwt_public_key_file).read_bytes()
            self._rs256_key = serialization.load_pem_public_key(pem)
            if not isinstance(self._rs256_key, rsa.RSAPublicKey):
                raise ValueError("GATEWAY_JWT_PUBLIC_KEY_FILE must hold an RSA public key (PEM).")
        if settings.jwt_jwks_file:
            self._jwks = jwt.PyJWKSet.from_json(Path(settings.jwt_jwks_file).read_text())

    async def identify(self, request: Request) -> Identity | None:
        header = request.headers.get("authorization")
        if header is None:
            return self.development_identity
        scheme, _, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationFailed("Send credentials as `Authorization: Bearer <token>`.")
        if token.startswith(API_KEY_PREFIX):
            return await self._api_key(token)
        return self._jwt(token)

    def _jwt(self, token: str) -> Identity:
        # A client sends the same token on every request until it expires: verifying its
        # signature once is enough. The expiry is still checked on every use.
        cached = self._verified.get(token)
        if cached is not None:
            identity, expires = cached
            if time.time() <= expires + self.settings.jwt_leeway_seconds:
                return identity
            del self._verified[token]
        identity, expires = self._verify_jwt(token)
        if len(self._verified) >= _VERIFIED_TOKENS:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = (identity, expires)
        return identity

    def _verify_jwt(self, token: str) -> tuple[Identity, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationFailed("The bearer token is not a JWT.") from None
        algorithm = header.get("alg")
        # The algorithm comes from the token, but each one is accepted only with its own kind
        # of key: an RS256 public key is never used as an HS256 secret.
        if algorithm == "HS256" and self._hs256:
            key: Any = self._hs256
        elif algorithm == "RS256" and self._jwks is not None:
            kid = header.get("kid")
            try:
                key = self._jwks[kid].key if kid else self._only_jwk()
            except KeyError:
                raise AuthenticationFailed("The token's key id is not in the JWKS.") from None
        elif algorithm == "RS256" and self._rs256_key is not None:
            key = self._rs256_key
        else:
            raise AuthenticationFailed(f"Tokens signed with {algorithm!r} are not accepted.")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.settings.jwt_audience,
                issuer=self.settings.jwt_issuer,
                leeway=self.settings.jwt_leeway_seconds,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationFailed("The token has expired.") from None
        except jwt.InvalidAudienceError:
            raise AuthenticationFailed("The token is not meant for this gateway (aud).") from None
        except jwt.InvalidIssuerError:
            raise AuthenticationFailed("The token's issuer is not trusted (iss).") from None
        except jwt.MissingRequiredClaimError as error:
            raise AuthenticationFailed(f"The token lacks the `{error.claim}` claim.") from None
        except jwt.PyJWTError:
            raise AuthenticationFailed("The token's signature or format is invalid.") from None
        return identity_from_claims(claims), float(claims["exp"])

    def _only_jwk(self) -> Any:
        assert self._jwks is not None
        if len(self._jwks.keys) != 1:
            raise KeyError("kid")
        return self._jwks.keys[0].key

    async def _api_key(self, secret: str) -> Identity:
        # A system session: looking a key up must not depend on who is asking.
        async with self.sessions() as session:
            key = await access_reads.api_key_by_secret_hash(session, secret_hash(secret))
        if key is None or key.revoked_at is not None:
            raise AuthenticationFailed("The API key is unknown or revoked.")
        claims = {
            "sub": key.prefix,
            "role": key.role.value,
            "permissions": list(key.permissions or ()),
            "customer_id": key.customer_id,
            "reseller_id": key.reseller_id,
        }
        return identity_from_claims(claims, subject_prefix="apikey:", api_key_id=key.id)
