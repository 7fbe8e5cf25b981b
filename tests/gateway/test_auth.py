"""Authentication over HTTP: JWTs (HS256, RS256 with a PEM key or a JWKS file), API keys made
with `gateway apikey`, and the development-only identity."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.db import writer_bind
from domain.identity import DEVELOPMENT_STAFF, Identity, Permission, Role
from gateway.cli import main as cli
from gateway.http.app import create_app
from tests.gateway.helpers import claims_for, http_client, test_settings

WHO = "{ customers(first: 100) { totalCount } }"
TV = "query ($id: ID!) { customer(id: $id) { plans { tvPoints { databaseId } } } }"


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _rs256(key: rsa.RSAPrivateKey, identity: Identity, **extra: Any) -> str:
    now = int(time.time())
    claims = {"iss": "isp-gateway", "aud": "isp-gateway", "exp": now + 60, **claims_for(identity)}
    claims.update(extra)
    headers = {"kid": extra.pop("kid")} if "kid" in extra else None
    claims.pop("kid", None)
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


async def gateway(argv: list[str]) -> int:
    """The CLI, in a thread: it runs its own event loop, as it does from a shell."""
    return await asyncio.to_thread(cli, argv)


async def _total(client: Any, token: str) -> tuple[int, Any]:
    response = await client.post(
        "/graphql", json={"query": WHO}, headers={"authorization": f"Bearer {token}"}
    )
    body = response.json()
    total = body["data"]["customers"]["totalCount"] if response.status_code == 200 else None
    return response.status_code, total if total is not None else body


async def test_rs256_with_a_pem_public_key(
    engine: AsyncEngine, database_url: str, rsa_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    pem = tmp_path / "public.pem"
    pem.write_bytes(
        rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    settings = test_settings(database_url, jwt_secret=None, jwt_public_key_file=str(pem))
    subscriber = Identity(subject="ana", role=Role.SUBSCRIBER, customer_id=3)
    async with http_client(engine, settings, identity=None) as client:
        assert await _total(client, _rs256(rsa_key, subscriber)) == (200, 1)
        # Wrong audience, wrong issuer, expired, another key: all 401, each said so.
        for extra, words in (
            ({"aud": "someone-else"}, "aud"),
            ({"iss": "evil"}, "iss"),
            ({"exp": int(time.time()) - 3600}, "expired"),
        ):
            status, body = await _total(client, _rs256(rsa_key, subscriber, **extra))
            assert status == 401 and words in body["errors"][0]["message"]
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        status, _ = await _total(client, _rs256(other, subscriber))
        assert status == 401
        # HS256 signed with the public key as secret (algorithm confusion) and alg "none".
        claims = {"iss": "isp-gateway", "aud": "isp-gateway", "exp": int(time.time()) + 60}
        claims |= claims_for(DEVELOPMENT_STAFF)
        for forged, algorithm in (
            (_hs256_by_hand(claims, pem.read_bytes()), "HS256"),
            (jwt.encode(claims, None, algorithm="none"), "none"),
        ):
            status, body = await _total(client, forged)
            assert status == 401 and f"'{algorithm}'" in body["errors"][0]["message"]


def _hs256_by_hand(claims: dict[str, Any], secret: bytes) -> str:
    """PyJWT refuses to sign HS256 with a PEM key; an attacker would not."""

    def b64(raw: bytes) -> bytes:
        return base64.urlsafe_b64encode(raw).rstrip(b"=")

    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + b"." + b64(json.dumps(claims).encode())
    signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + b64(signature)).decode()


async def test_rs256_with_a_jwks_file(
    engine: AsyncEngine, database_url: str, rsa_key: rsa.RSAPrivateKey, tmp_path: Path
) -> None:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}))
    settings = test_settings(database_url, jwt_secret=None, jwt_jwks_file=str(jwks))
    async with http_client(engine, settings, identity=None) as client:
        status, total = await _total(client, _rs256(rsa_key, DEVELOPMENT_STAFF, kid="k1"))
        assert status == 200 and total > 1
        status, body = await _total(client, _rs256(rsa_key, DEVELOPMENT_STAFF, kid="k9"))
        assert status == 401 and "key id" in body["errors"][0]["message"]


async def test_missing_claims_are_refused(engine: AsyncEngine, database_url: str) -> None:
    secret = test_settings(database_url).jwt_secret
    async with http_client(engine, test_settings(database_url), identity=None) as client:
        no_exp = jwt.encode(
            {"iss": "isp-gateway", "aud": "isp-gateway", "sub": "x", "role": "staff"},
            secret,
            algorithm="HS256",
        )
        status, body = await _total(client, no_exp)
        assert status == 401 and "exp" in body["errors"][0]["message"]
        bad_role = jwt.encode(
            {
                "iss": "isp-gateway",
                "aud": "isp-gateway",
                "sub": "x",
                "role": "root",
                "exp": int(time.time()) + 60,
            },
            secret,
            algorithm="HS256",
        )
        status, body = await _total(client, bad_role)
        assert status == 401 and "role" in body["errors"][0]["message"]


async def test_api_keys_made_revoked_and_listed_with_the_cli(
    engine: AsyncEngine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with engine.connect() as connection:
        customer_id = await connection.scalar(select(m.Customer.id).order_by(m.Customer.id))
        tv_customer = await connection.scalar(
            select(m.Plan.customer_id).join(m.TvPoint, m.TvPoint.plan_id == m.Plan.id).limit(1)
        )
    url = ["--database-url", database_url]
    try:
        assert (
            await gateway(
                ["apikey", "create", "--name", "billing robot", "--permission", "BILLING", *url]
            )
            == 0
        )
        staff_secret = capsys.readouterr().out.strip().splitlines()[-1]
        assert staff_secret.startswith("gk_")
        args = ["apikey", "create", "--name", "portal", "--role", "subscriber", *url]
        assert await gateway([*args, "--customer-id", str(customer_id)]) == 0
        portal_secret = capsys.readouterr().out.strip().splitlines()[-1]
        # Refusals: a subscriber key without its customer, an unknown permission.
        assert await gateway(["apikey", "create", "--name", "x", "--role", "subscriber", *url]) == 1
        assert await gateway(["apikey", "create", "--name", "x", "--permission", "ROOT", *url]) == 2
        capsys.readouterr()

        async with engine.connect() as connection:
            stored = list(await connection.scalars(select(m.ApiKey.secret_sha256)))
        assert staff_secret not in stored and all(len(h) == 64 for h in stored)

        async with http_client(engine, test_settings(database_url), identity=None) as client:
            status, total = await _total(client, staff_secret)
            assert status == 200 and total > 1
            assert await _total(client, portal_secret) == (200, 1)
            # The key's staff holds BILLING only: TV rows are refused, naming the permission.
            response = await client.post(
                "/graphql",
                json={"query": TV, "variables": {"id": str(tv_customer)}},
                headers={"authorization": f"Bearer {staff_secret}"},
            )
            assert response.json()["errors"][0]["extensions"]["permission"] == "TV_PACKAGES"

            assert await gateway(["apikey", "list", *url]) == 0
            listing = capsys.readouterr().out
            assert "billing robot" in listing and "BILLING" in listing
            assert staff_secret not in listing
            prefix = "_".join(staff_secret.split("_")[:2])  # gk_ + 8 hex digits
            assert await gateway(["apikey", "revoke", prefix, *url]) == 0
            assert await gateway(["apikey", "revoke", "gk_missing", *url]) == 1
            status, body = await _total(client, staff_secret)
            assert status == 401 and "revoked" in body["errors"][0]["message"]
            assert "revoked" in (
                await gateway(["apikey", "list", *url]) == 0 and capsys.readouterr().out
            )
    finally:
        async with writer_bind(engine).begin() as connection:
            await connection.execute(m.ApiKey.__table__.delete())
            await connection.execute(
                m.AuditLog.__table__.delete().where(m.AuditLog.target_type == "ApiKey")
            )


async def test_the_development_identity(engine: AsyncEngine, database_url: str) -> None:
    settings = test_settings(database_url, dev_identity="subscriber:2")
    async with http_client(engine, settings, identity=None) as client:
        response = await client.post("/graphql", json={"query": WHO})
        assert response.json()["data"]["customers"]["totalCount"] == 1
    with pytest.raises(ValueError, match="development only"):
        create_app(test_settings(database_url, dev_identity="staff", environment="production"))


def test_the_subscriber_identity_has_no_staff_permissions() -> None:
    from gateway.http.auth import identity_from_claims

    identity = identity_from_claims(
        {"sub": "s", "role": "subscriber", "customer_id": 4, "permissions": ["BILLING"]}
    )
    assert identity.permissions == frozenset() and not identity.has(Permission.BILLING)
    assert identity.customer_id == 4
