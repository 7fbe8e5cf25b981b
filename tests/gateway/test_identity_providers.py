"""Identity providers (ADR 0172): keys from a JWKS URL served on loopback, cached, refreshed on
an unknown `kid` at a bounded rate, rotated; RS256, ES256 and EdDSA; claims mapped from where
a provider puts them (Keycloak's `realm_access.roles`); registered claims of the wrong type or
range refused (issue 15, item 12)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.gateway.helpers import JWT_SECRET, http_client, test_settings
from tests.simulators import serving

WHO = "{ customers(first: 100) { totalCount } }"
ISSUER = "https://idp.example/realms/isp"


class Provider:
    """A small identity provider: signing keys, and their JWKS at /certs."""

    def __init__(self) -> None:
        self.keys: dict[str, tuple[str, Any]] = {}
        self.fetches = 0
        self.failing = False

    def add(self, algorithm: str) -> str:
        kid = f"{algorithm.lower()}-{uuid.uuid4().hex[:8]}"
        if algorithm == "RS256":
            private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif algorithm == "ES256":
            private = ec.generate_private_key(ec.SECP256R1())
        else:
            private = ed25519.Ed25519PrivateKey.generate()
        self.keys[kid] = (algorithm, private)
        return kid

    def jwks(self) -> dict[str, Any]:
        published = []
        for kid, (algorithm, private) in self.keys.items():
            jwk_class = {
                "RS256": jwt.algorithms.RSAAlgorithm,
                "ES256": jwt.algorithms.ECAlgorithm,
                "EdDSA": jwt.algorithms.OKPAlgorithm,
            }[algorithm]
            data = json.loads(jwk_class.to_jwk(private.public_key()))
            published.append({**data, "kid": kid, "use": "sig", "alg": algorithm})
        return {"keys": published}

    def token(self, kid: str, claims: dict[str, Any] | None = None, **header: Any) -> str:
        algorithm, private = self.keys[kid]
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": "isp-gateway",
            "sub": "f3c1a2",
            "exp": now + 300,
            "iat": now,
            "role": "staff",
            "permissions": ["BILLING"],
            **(claims or {}),
        }
        return jwt.encode(payload, private, algorithm=algorithm, headers={"kid": kid, **header})

    def app(self) -> Starlette:
        async def certs(_request: Request) -> JSONResponse:
            self.fetches += 1
            if self.failing:
                return JSONResponse({"error": "down"}, status_code=500)
            return JSONResponse(self.jwks())

        return Starlette(routes=[Route("/certs", certs)])


@pytest.fixture
def provider() -> Iterator[tuple[Provider, str]]:
    idp = Provider()
    with serving(idp.app()) as url:
        yield idp, f"{url}/certs"


def _settings(database_url: str, jwks_url: str, **overrides: Any) -> Any:
    values = {
        "jwt_secret": None,
        "jwt_jwks_url": jwks_url,
        "jwt_issuer": ISSUER,
        "jwt_jwks_min_refresh_seconds": 0.5,
        **overrides,
    }
    return test_settings(database_url, **values)


async def _ask(client: Any, token: str) -> tuple[int, Any]:
    response = await client.post(
        "/graphql", json={"query": WHO}, headers={"authorization": f"Bearer {token}"}
    )
    body = response.json()
    if response.status_code == 200 and "data" in body and body["data"]:
        return 200, body["data"]["customers"]["totalCount"]
    return response.status_code, body["errors"][0]["message"]


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "EdDSA"])
async def test_tokens_signed_with_each_algorithm_verify_with_the_providers_jwks(
    engine: AsyncEngine, database_url: str, provider: tuple[Provider, str], algorithm: str
) -> None:
    idp, url = provider
    kid = idp.add(algorithm)
    async with http_client(engine, _settings(database_url, url), identity=None) as client:
        status, total = await _ask(client, idp.token(kid))
        assert status == 200 and total > 0
        # Another subscriber-less staff token, and the keys are not fetched again.
        assert (await _ask(client, idp.token(kid, {"sub": "other"})))[0] == 200
    assert idp.fetches == 1


async def test_a_rotated_key_is_fetched_when_a_token_first_names_it(
    engine: AsyncEngine, database_url: str, provider: tuple[Provider, str]
) -> None:
    idp, url = provider
    old = idp.add("RS256")
    async with http_client(engine, _settings(database_url, url), identity=None) as client:
        assert (await _ask(client, idp.token(old)))[0] == 200
        # The provider rotates: a new key, the old one withdrawn.
        new = idp.add("ES256")
        withdrawn = idp.keys.pop(old)
        await asyncio.sleep(0.6)  # past the least time between two fetches
        assert (await _ask(client, idp.token(new)))[0] == 200
        assert idp.fetches == 2
        # A token of the withdrawn key is refused once the provider no longer lists it.
        idp.keys[old] = withdrawn
        late = idp.token(old, {"sub": "late"})
        del idp.keys[old]
        await asyncio.sleep(0.6)
        status, message = await _ask(client, late)
        assert status == 401 and "not in the JWKS" in message
        assert idp.fetches == 3


async def test_unknown_key_ids_refetch_at_a_bounded_rate(
    engine: AsyncEngine, database_url: str, provider: tuple[Provider, str]
) -> None:
    idp, url = provider
    kid = idp.add("RS256")
    settings = _settings(database_url, url, jwt_jwks_min_refresh_seconds=30)
    async with http_client(engine, settings, identity=None) as client:
        assert (await _ask(client, idp.token(kid)))[0] == 200
        algorithm, private = idp.keys[kid]
        made_up = [
            jwt.encode(
                {"iss": ISSUER, "aud": "isp-gateway", "sub": "x", "exp": int(time.time()) + 60},
                private,
                algorithm=algorithm,
                headers={"kid": f"made-up-{n}"},
            )
            for n in range(40)
        ]
        answers = await asyncio.gather(*(_ask(client, token) for token in made_up))
    assert {status for status, _message in answers} == {401}
    # One fetch at start, at most one more for the forty made-up ids.
    assert idp.fetches <= 2


async def test_without_the_providers_keys_tokens_get_503_and_it_recovers(
    engine: AsyncEngine, database_url: str, provider: tuple[Provider, str]
) -> None:
    idp, url = provider
    kid = idp.add("EdDSA")
    idp.failing = True
    async with http_client(engine, _settings(database_url, url), identity=None) as client:
        response = await client.post(
            "/graphql",
            json={"query": WHO},
            headers={"authorization": f"Bearer {idp.token(kid)}"},
        )
        assert response.status_code == 503
        assert response.headers["retry-after"]
        assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        idp.failing = False
        await asyncio.sleep(0.6)
        assert (await _ask(client, idp.token(kid)))[0] == 200


async def test_a_key_answers_only_for_its_own_algorithm(
    engine: AsyncEngine, database_url: str, provider: tuple[Provider, str]
) -> None:
    idp, url = provider
    rsa_kid = idp.add("RS256")
    es_kid = idp.add("ES256")
    async with http_client(engine, _settings(database_url, url), identity=None) as client:
        # An ES256 token naming the RSA key: refused, whatever its signature.
        forged = idp.token(es_kid).split(".")
        header = jwt.utils.base64url_encode(
            json.dumps({"alg": "ES256", "kid": rsa_kid}).encode()
        ).decode()
        status, message = await _ask(client, ".".join((header, *forged[1:])))
        assert status == 401 and "not a key for ES256" in message
        # HS256 signed with the RSA key's public JWK as a secret: not accepted at all here.
        hs = jwt.encode(
            {"iss": ISSUER, "aud": "isp-gateway", "sub": "x", "exp": int(time.time()) + 60},
            JWT_SECRET,
            algorithm="HS256",
            headers={"kid": rsa_kid},
        )
        status, message = await _ask(client, hs)
        assert status == 401 and "'HS256' are not accepted" in message


async def test_keycloak_claims_are_mapped_from_where_keycloak_puts_them(
    engine: AsyncEngine, database_url: str, provider: tuple[Provider, str]
) -> None:
    idp, url = provider
    kid = idp.add("RS256")
    settings = _settings(
        database_url,
        url,
        jwt_claim_role="realm_access.roles",
        jwt_claim_permissions="resource_access.isp-gateway.roles",
        jwt_claim_customer_id="customer",
        jwt_role_values="staff=gw-staff,subscriber=gw-customer",
    )

    def keycloak(roles: list[str], **extra: Any) -> str:
        claims = {
            "realm_access": {"roles": ["offline_access", "default-roles-isp", *roles]},
            "resource_access": {"isp-gateway": {"roles": ["BILLING"]}},
            **extra,
        }
        claims.pop("role") if "role" in claims else None
        return idp.token(kid, {"role": None, "permissions": None, **claims})

    async with http_client(engine, settings, identity=None) as client:
        status, total = await _ask(client, keycloak(["gw-staff"]))
        assert status == 200 and total > 1  # staff see every customer
        # A subscriber whose customer id is a multivalued user attribute (a list of one).
        status, total = await _ask(client, keycloak(["gw-customer"], customer=["3"]))
        assert (status, total) == (200, 1)
        status, message = await _ask(client, keycloak(["gw-staff", "gw-customer"]))
        assert status == 401 and "more than one gateway role in `realm_access.roles`" in message
        status, message = await _ask(client, keycloak([]))
        assert status == 401 and "no gateway role in `realm_access.roles`" in message


@pytest.mark.parametrize(
    ("claims", "words"),
    [
        ({"exp": "9999999999"}, "`exp` must be a number (a NumericDate), not a string"),
        ({"exp": 10**13}, "`exp` is out of range"),
        ({"exp": -5}, "`exp` is out of range"),
        ({"exp": True}, "`exp` must be a number (a NumericDate), not a boolean"),
        ({"nbf": "0"}, "`nbf` must be a number"),
        ({"iat": [1]}, "`iat` must be a number (a NumericDate), not a list"),
        ({"sub": 42}, "`sub` must be a string, not int"),
        ({"iss": {"name": "isp"}}, "`iss` must be a string, not an object"),
        ({"aud": ["isp-gateway", 7]}, "`aud` must be a string or a list of strings"),
    ],
)
async def test_registered_claims_of_the_wrong_type_or_range_are_refused(
    engine: AsyncEngine, database_url: str, claims: dict[str, Any], words: str
) -> None:
    now = int(time.time())
    payload = {
        "iss": "isp-gateway",
        "aud": "isp-gateway",
        "sub": "s",
        "exp": now + 60,
        "role": "staff",
        **claims,
    }
    # Signed as given: PyJWT's encoder itself refuses some of these shapes.
    token = jwt.api_jws.PyJWS().encode(json.dumps(payload).encode(), JWT_SECRET, algorithm="HS256")
    async with http_client(engine, test_settings(database_url), identity=None) as client:
        response = await client.post(
            "/graphql", json={"query": WHO}, headers={"authorization": f"Bearer {token}"}
        )
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert words in error["message"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("algorithm", ["ES256", "EdDSA"])
async def test_a_pem_public_key_verifies_the_algorithm_of_its_type(
    engine: AsyncEngine, database_url: str, tmp_path: Any, algorithm: str
) -> None:
    from cryptography.hazmat.primitives import serialization

    idp = Provider()
    kid = idp.add(algorithm)
    pem = tmp_path / "public.pem"
    pem.write_bytes(
        idp.keys[kid][1]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    settings = test_settings(
        database_url, jwt_secret=None, jwt_public_key_file=str(pem), jwt_issuer=ISSUER
    )
    async with http_client(engine, settings, identity=None) as client:
        assert (await _ask(client, idp.token(kid)))[0] == 200
        other = idp.add("RS256")
        status, message = await _ask(client, idp.token(other))
        assert status == 401 and "'RS256' are not accepted" in message


async def test_readiness_needs_the_providers_keys(
    engine: AsyncEngine, database_url: str, provider: tuple[Provider, str]
) -> None:
    idp, url = provider
    idp.add("RS256")
    idp.failing = True
    async with http_client(engine, _settings(database_url, url), identity=None) as client:
        down = await client.get("/readyz")
        assert down.status_code == 503
        assert down.json()["failed"] == ["identity_provider"]
        idp.failing = False
        await asyncio.sleep(0.6)  # past the least time between two fetches
        up = await client.get("/readyz")
        assert up.status_code == 200, up.json()
        assert up.json()["identity_provider"] == "ok"
        assert (await client.get("/healthz")).status_code == 200
