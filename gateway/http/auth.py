"""Who is calling: an Identity from a bearer JWT or API key (ADR 0080).

`Authorization: Bearer <token>`: a token that starts with `gk_` is an API key (looked up by its
SHA-256), anything else is a JWT, verified with the configured HS256 secret, or (RS256, ES256,
EdDSA) with a PEM public key or the keys of a JWKS file or an identity provider's JWKS URL
(gateway.http.jwks, ADR 0172), with issuer, audience and expiry checked and the registered
claims' types and ranges too.

JWT claims: `sub` (required), `role` (`staff`, `subscriber`, `reseller` or `voice_subscriber`),
`permissions` (staff: a list of Permission names; unknown names grant nothing), `customer_id`
(subscriber), `reseller_id` (reseller), `voice_subscriber_id` (voice subscriber, ADR 0094).
Each but `sub` may sit elsewhere in a provider's token (GATEWAY_JWT_CLAIM_*, e.g. Keycloak's
`realm_access.roles`), and the roles may go by the provider's names (GATEWAY_JWT_ROLE_VALUES).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request

from domain.actions.access import API_KEY_PREFIX, secret_hash
from domain.i18n import _
from domain.identity import DEVELOPMENT_STAFF, Identity, Permission, Role
from domain.reads import access as access_reads
from domain.rules.keys import MAX_KEY, parse_key
from gateway.http.jwks import ASYMMETRIC, KeysUnavailable, RemoteKeys, StaticKeys, UnknownKey
from gateway.settings import ROLE_NAMES, Settings

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
        raise AuthenticationFailed(_("The token has no subject (`sub`)."))
    raw_role = claims.get("role")
    try:
        role = Role(str(raw_role).upper())
    except ValueError:
        raise AuthenticationFailed(
            _("The token's `role` must be staff, subscriber, reseller or voice_subscriber.")
        ) from None
    names = claims.get("permissions") or []
    if not isinstance(names, list):
        raise AuthenticationFailed(_("The token's `permissions` must be a list."))
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


def _public_key(path: Path) -> tuple[str, Any]:
    """(algorithm, key) of a PEM public key: RSA for RS256, P-256 for ES256, Ed25519 for
    EdDSA."""
    key = serialization.load_pem_public_key(path.read_bytes())
    if isinstance(key, rsa.RSAPublicKey):
        return "RS256", key
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256", key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "EdDSA", key
    raise ValueError(
        "GATEWAY_JWT_PUBLIC_KEY_FILE must hold an RSA, P-256 or Ed25519 public key (PEM)."
    )


def _key(claims: Mapping[str, Any], name: str) -> int:
    # The one key parser (domain.rules.keys): ASCII digits or an integer, within the key column.
    value = parse_key(claims.get(name))
    if value is None:
        raise AuthenticationFailed(
            _(
                "The token's role needs `{name}`: a positive integer of at most {max_key}.",
                name=name,
                max_key=MAX_KEY,
            )
        )
    return value


def parse_dev_identity(raw: str | None) -> Identity | None:
    """GATEWAY_DEV_IDENTITY: "staff", "subscriber:<customer id>", "reseller:<reseller id>" or
    "voice_subscriber:<voice subscriber id>"."""
    if not raw:
        return None
    role, __, key = raw.partition(":")
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
# NumericDate claims outside [0, 9999-12-31T23:59:59Z] are refused as out of range.
_LATEST_DATE = 253_402_300_799


class AuthenticationUnavailable(Exception):
    """The token cannot be checked now (the identity provider's keys cannot be had): 503."""


def registered_claim_problem(claims: Mapping[str, Any]) -> str | None:
    """Why the registered claims' types or ranges are wrong (RFC 7519), or None.

    PyJWT reads `exp`, `nbf` and `iat` with int(), so a string "9999999999" would pass as a
    date; here a NumericDate must be a JSON number, finite, in range.
    """
    for name in ("exp", "nbf", "iat"):
        if name not in claims:
            continue
        value = claims[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return _(
                "The token's `{name}` must be a number (a NumericDate), not {value}.",
                name=name,
                value=_kind(value),
            )
        if not 0 <= value <= _LATEST_DATE:  # NaN fails this too
            return _("The token's `{name}` is out of range.", name=name)
    for name in ("iss", "sub", "jti"):
        if name in claims and not isinstance(claims[name], str):
            return _(
                "The token's `{name}` must be a string, not {value}.",
                name=name,
                value=_kind(claims[name]),
            )
    audience = claims.get("aud")
    if "aud" in claims and not (
        isinstance(audience, str)
        or (isinstance(audience, list) and all(isinstance(a, str) for a in audience))
    ):
        return _("The token's `aud` must be a string or a list of strings.")
    return None


def _kind(value: Any) -> str:
    return {str: "a string", bool: _("a boolean"), list: "a list", dict: _("an object")}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """The claim named `path`, or the value at its dotted path into nested objects
    (`realm_access.roles`); a name that itself holds dots (`https://isp.example/roles`) is
    looked up whole first."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


class ClaimMapping:
    """Where the gateway's claims are in a provider's token (GATEWAY_JWT_CLAIM_*), and the
    provider's names of the roles (GATEWAY_JWT_ROLE_VALUES)."""

    def __init__(self, settings: Settings) -> None:
        self.role = settings.jwt_claim_role
        self.permissions = settings.jwt_claim_permissions
        self.keys = {
            "customer_id": settings.jwt_claim_customer_id,
            "reseller_id": settings.jwt_claim_reseller_id,
            "voice_subscriber_id": settings.jwt_claim_voice_subscriber_id,
        }
        self.role_names = settings.role_values()

    def gateway_claims(self, claims: Mapping[str, Any]) -> dict[str, Any]:
        """The token's claims under the gateway's own names (identity_from_claims reads them)."""
        mapped: dict[str, Any] = {"sub": claims.get("sub"), "role": self._role(claims)}
        permissions = claim_at(claims, self.permissions)
        mapped["permissions"] = [] if permissions is None else permissions
        for name, path in self.keys.items():
            value = claim_at(claims, path)
            # A multivalued user attribute (Keycloak's mapper) arrives as a list of one.
            if isinstance(value, list) and len(value) == 1:
                value = value[0]
            mapped[name] = value
        return mapped

    def _role(self, claims: Mapping[str, Any]) -> Any:
        value = claim_at(claims, self.role)
        if not isinstance(value, list):
            return self.role_names.get(value, value) if isinstance(value, str) else value
        roles = {
            self.role_names.get(name, name.lower())
            for name in value
            if isinstance(name, str) and (name in self.role_names or name.lower() in ROLE_NAMES)
        }
        if len(roles) > 1:
            raise AuthenticationFailed(
                _("The token carries more than one gateway role in `{role}`.", role=self.role)
            )
        if not roles:
            raise AuthenticationFailed(
                _("The token carries no gateway role in `{role}`.", role=self.role)
            )
        return roles.pop()


class Authenticator:
    """Turns a request's Authorization header into an Identity (None: anonymous)."""

    def __init__(self, settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._verified: dict[str, tuple[Identity, float]] = {}
        self.settings = settings
        self.sessions = sessions
        self.development_identity = parse_dev_identity(settings.dev_identity)
        self.mapping = ClaimMapping(settings)
        self._hs256 = settings.jwt_secret
        # A PEM public key verifies the one algorithm its type is for.
        self._public_key: tuple[str, Any] | None = None
        self._jwks: StaticKeys | RemoteKeys | None = None
        if settings.jwt_public_key_file:
            self._public_key = _public_key(Path(settings.jwt_public_key_file))
        if settings.jwt_jwks_url:
            self._jwks = RemoteKeys(
                settings.jwt_jwks_url,
                cache_seconds=settings.jwt_jwks_cache_seconds,
                min_refresh_seconds=settings.jwt_jwks_min_refresh_seconds,
            )
        elif settings.jwt_jwks_file:
            self._jwks = StaticKeys(orjson.loads(Path(settings.jwt_jwks_file).read_bytes()))

    async def aclose(self) -> None:
        if self._jwks is not None:
            await self._jwks.aclose()

    @property
    def remote_keys(self) -> RemoteKeys | None:
        """The identity provider's keys, when they come from a URL (a readiness check)."""
        return self._jwks if isinstance(self._jwks, RemoteKeys) else None

    async def identify(self, request: Request) -> Identity | None:
        identity, _until = await self.credentials(request.headers.get("authorization"))
        return identity

    async def credentials(self, header: str | None) -> tuple[Identity | None, float | None]:
        """The identity an Authorization header value names, and until when (a Unix time,
        the token's expiry plus the leeway) it may act; None for credentials that do not
        expire (API keys, the development identity)."""
        if header is None:
            return self.development_identity, None
        scheme, __, token = header.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise AuthenticationFailed(_("Send credentials as `Authorization: Bearer <token>`."))
        if token.startswith(API_KEY_PREFIX):
            return await self._api_key(token), None
        identity, expires = await self._jwt(token)
        return identity, expires + self.settings.jwt_leeway_seconds

    async def _jwt(self, token: str) -> tuple[Identity, float]:
        # A client sends the same token on every request until it expires: verifying its
        # signature once is enough. The expiry is still checked on every use.
        cached = self._verified.get(token)
        if cached is not None:
            identity, expires = cached
            if time.time() <= expires + self.settings.jwt_leeway_seconds:
                return identity, expires
            del self._verified[token]
        identity, expires = await self._verify_jwt(token)
        if len(self._verified) >= _VERIFIED_TOKENS:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = (identity, expires)
        return identity, expires

    async def _verify_jwt(self, token: str) -> tuple[Identity, float]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthenticationFailed(_("The bearer token is not a JWT.")) from None
        # Types first: a forged token learns nothing from this, and PyJWT would take a
        # string `exp` for a date.
        problem = registered_claim_problem(unverified)
        if problem is not None:
            raise AuthenticationFailed(problem)
        algorithm = header.get("alg")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AuthenticationFailed(_("The token's key id (`kid`) must be a string."))
        key = await self._key_for(algorithm, kid)
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
            raise AuthenticationFailed(_("The token has expired.")) from None
        except jwt.ImmatureSignatureError:
            raise AuthenticationFailed(_("The token is not valid yet (nbf or iat).")) from None
        except jwt.InvalidAudienceError:
            raise AuthenticationFailed(
                _("The token is not meant for this gateway (aud).")
            ) from None
        except jwt.InvalidIssuerError:
            raise AuthenticationFailed(_("The token's issuer is not trusted (iss).")) from None
        except jwt.MissingRequiredClaimError as error:
            raise AuthenticationFailed(
                _("The token lacks the `{claim}` claim.", claim=error.claim)
            ) from None
        except jwt.PyJWTError:
            raise AuthenticationFailed(_("The token's signature or format is invalid.")) from None
        return identity_from_claims(self.mapping.gateway_claims(claims)), float(claims["exp"])

    async def _key_for(self, algorithm: Any, kid: str | None) -> Any:
        """The key that may verify a token signed with `algorithm`: each algorithm only with
        its own kind of key (an RSA public key is never used as an HS256 secret)."""
        if algorithm == "HS256" and self._hs256:
            return self._hs256
        if algorithm in ASYMMETRIC and self._jwks is not None:
            try:
                return await self._jwks.key(kid, algorithm)
            except UnknownKey as error:
                raise AuthenticationFailed(str(error)) from None
            except KeysUnavailable as error:
                raise AuthenticationUnavailable(str(error)) from None
        if self._public_key is not None and algorithm == self._public_key[0]:
            return self._public_key[1]
        raise AuthenticationFailed(
            _("Tokens signed with {algorithm!r} are not accepted.", algorithm=algorithm)
        )

    async def _api_key(self, secret: str) -> Identity:
        # A system session: looking a key up must not depend on who is asking.
        async with self.sessions() as session:
            key = await access_reads.api_key_by_secret_hash(session, secret_hash(secret))
        if key is None or key.revoked_at is not None:
            raise AuthenticationFailed(_("The API key is unknown or revoked."))
        claims = {
            "sub": key.prefix,
            "role": key.role.value,
            "permissions": list(key.permissions or ()),
            "customer_id": key.customer_id,
            "reseller_id": key.reseller_id,
        }
        return identity_from_claims(claims, subject_prefix="apikey:", api_key_id=key.id)
