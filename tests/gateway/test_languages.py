"""Every answer in the reader's language (ADR 0210): pt-BR or en by `Accept-Language`,
GATEWAY_LANGUAGE otherwise, said back in `Content-Language`; codes never change with it."""

from __future__ import annotations

import datetime as dt
import io
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.i18n import catalogs
from domain.identity import Identity, Permission
from gateway.http.language import negotiate
from gateway.settings import ConfigurationError, Settings
from tests.gateway.helpers import bearer, http_client, test_settings
from tests.gateway.plan_helpers import a_plan, gid
from tests.gateway.registration_support import subscriber

PT = {"accept-language": "pt-BR,pt;q=0.9,en;q=0.8"}
EN = {"accept-language": "en-US,en;q=0.9"}
PT_BR = catalogs()["pt-BR"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("pt-BR", "pt-BR"),
        ("pt", "pt-BR"),
        ("pt-PT", "pt-BR"),
        ("PT-br", "pt-BR"),
        ("en", "en"),
        ("en-US", "en"),
        ("en-GB;q=0.8, pt-BR;q=0.9", "pt-BR"),
        ("pt-BR;q=0.2, en;q=0.5", "en"),
        ("fr-FR, en;q=0.5, pt;q=0.4", "en"),
        ("fr, de", "default"),
        ("*", "default"),
        ("fr, *;q=0.5, en;q=0.1", "default"),
        ("en;q=0, pt;q=0.1", "pt-BR"),
        ("en;q=abc, pt-BR;q=0.1", "pt-BR"),
        ("", "default"),
        (",,;q=1", "default"),
    ],
)
def test_accept_language_is_negotiated_by_quality_then_order(header: str, expected: str) -> None:
    for default in ("pt-BR", "en"):
        assert negotiate(header, default) == (default if expected == "default" else expected)


def test_the_default_language_is_a_checked_setting(database_url: str) -> None:
    assert Settings().language == "pt-BR"  # what an ISP in Brazil expects
    assert Settings.from_env({"GATEWAY_LANGUAGE": "en-US"}).language == "en"
    assert Settings.from_env({"GATEWAY_LANGUAGE": "pt_br"}).language == "pt-BR"
    with pytest.raises(ConfigurationError, match="GATEWAY_LANGUAGE must be pt-BR or en"):
        Settings.from_env({"GATEWAY_LANGUAGE": "fr"})


@pytest.fixture
async def pt_default(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose GATEWAY_LANGUAGE is pt-BR (the default), the suite's own being en."""
    async with http_client(engine, test_settings(database_url, language="pt-BR")) as client:
        yield client


@pytest.fixture
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(engine, test_settings(database_url)) as client:
        yield client


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    return response.json()["errors"]  # type: ignore[no-any-return]


async def test_without_accept_language_the_configured_language_answers(
    pt_default: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    query = {"query": "{ customers(first: -1) { nodes { name } } }"}
    pt = await pt_default.post("/graphql", json=query)
    en = await client.post("/graphql", json=query)
    assert pt.headers["content-language"] == "pt-BR" and en.headers["content-language"] == "en"
    assert "accept-language" in pt.headers["vary"].lower()
    assert _errors(pt)[0]["message"] == "`first` deve estar entre 0 e 100; recebido -1."
    assert _errors(en)[0]["message"] == "`first` must be between 0 and 100; got -1."
    # A language we lack gives the default; one we have wins over it.
    assert (
        await pt_default.post("/graphql", json=query, headers={"accept-language": "fr"})
    ).headers["content-language"] == "pt-BR"
    assert (await pt_default.post("/graphql", json=query, headers=EN)).headers[
        "content-language"
    ] == "en"


async def _both(client: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> tuple:
    headers = kwargs.pop("headers", {})
    pt = await client.request(method, url, headers={**headers, **PT}, **kwargs)
    en = await client.request(method, url, headers={**headers, **EN}, **kwargs)
    assert pt.headers["content-language"] == "pt-BR", (url, pt.headers)
    assert en.headers["content-language"] == "en", (url, en.headers)
    assert pt.status_code == en.status_code
    return pt, en


def _same_codes(pt: httpx.Response, en: httpx.Response) -> None:
    """The two answers differ in their words only: codes, paths and data are the same."""

    def without_words(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: without_words(v) for k, v in value.items() if k not in ("message", "requestId")
            }
        if isinstance(value, list):
            return [without_words(item) for item in value]
        return value

    assert without_words(pt.json()) == without_words(en.json())
    assert pt.json() != en.json()


async def test_a_graphql_request_error_in_both_languages(client: httpx.AsyncClient) -> None:
    pt, en = await _both(
        client, "POST", "/graphql", json={"query": "{ customers(first: 1000) { totalCount } }"}
    )
    assert pt.status_code == 400
    _same_codes(pt, en)
    assert _errors(pt)[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _errors(pt)[0]["message"] == "`first` deve estar entre 0 e 100; recebido 1000."
    # Authentication refusals are the wire's own words too.
    pt, en = await _both(
        client,
        "POST",
        "/graphql",
        json={"query": "{ me { __typename } }"},
        headers={"authorization": "Bearer not-a-jwt"},
    )
    assert pt.status_code == 401
    _same_codes(pt, en)
    assert _errors(pt)[0]["message"] == "O token bearer não é um JWT."
    assert _errors(en)[0]["message"] == "The bearer token is not a JWT."


async def test_a_mutations_validation_error_in_both_languages(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    plan = await a_plan(session)
    weak = """mutation ($id: ID!) { addRadiusLogin(input: {planId: $id, password: "abc"}) {
      __typename ... on ValidationError { code message field fields { path message } } } }"""
    body = {"query": weak, "variables": {"id": gid("Plan", plan.id)}}
    pt, en = await _both(client, "POST", "/graphql", json=body)
    _same_codes(pt, en)
    refused_pt = pt.json()["data"]["addRadiusLogin"]
    refused_en = en.json()["data"]["addRadiusLogin"]
    assert refused_pt["code"] == refused_en["code"] == "VALIDATION_ERROR"
    assert refused_pt["fields"][0]["path"] == ["password"]
    assert refused_en["fields"][0]["message"].startswith("is too weak: it scores")
    assert refused_pt["fields"][0]["message"].startswith("é fraca demais: ela tem pontuação")
    assert refused_pt["message"] == f"password: {refused_pt['fields'][0]['message']}"


async def test_a_domain_refusal_as_data_and_as_a_field_error(
    engine: AsyncEngine, database_url: str
) -> None:
    """NotFound as data (a mutation's union) and NotAllowed as a field error, both paths."""
    clerk = Identity.staff("clerk", Permission.PLAN_ADMIN, Permission.CUSTOMER_ADMIN)
    async with http_client(engine, test_settings(database_url), clerk) as client:
        missing = """mutation { cancelPlan(input: {planId: "UGxhbjo5OTk5OTk5OQ==", reason: "x"}) {
          __typename ... on NotFound { code message entity id } } }"""
        pt, en = await _both(client, "POST", "/graphql", json={"query": missing})
        _same_codes(pt, en)
        found = pt.json()["data"]["cancelPlan"]
        assert found["message"] == f"Não encontrado: Plano {found['id']}."
        assert en.json()["data"]["cancelPlan"]["message"] == f"Plan {found['id']} was not found."
        tv = "{ customers(first: 2) { nodes { name plans { status tvPoints { status } } } } }"
        pt, en = await _both(client, "POST", "/graphql", json={"query": tv})
        _same_codes(pt, en)
        assert _errors(pt)[0]["message"] == "Ler TvPoint exige a permissão TV_PACKAGES."
        assert _errors(pt)[0]["extensions"]["permission"] == "TV_PACKAGES"
        # The compiled read path answers the standard path's bytes, in either language.
        for language in (PT, EN):
            same = {"x-request-id": "i18n-differential", **language}
            compiled = await client.post("/graphql", json={"query": tv}, headers=same)
            standard = await client.post(
                "/graphql", json={"query": tv}, headers={"x-gateway-executor": "standard", **same}
            )
            assert compiled.headers["x-gateway-executor"] == "compiled"
            assert compiled.content == standard.content


async def test_findings_in_both_languages(client: httpx.AsyncClient, session: AsyncSession) -> None:
    plan = await a_plan(session)
    query = """query ($id: ID!) { authenticationDiagnosis(planId: $id) {
      ... on AuthenticationDiagnosis { findings { code message action login } } } }"""
    body = {"query": query, "variables": {"id": gid("Plan", plan.id)}}
    pt, en = await _both(client, "POST", "/graphql", json=body)
    findings_pt = pt.json()["data"]["authenticationDiagnosis"]["findings"]
    findings_en = en.json()["data"]["authenticationDiagnosis"]["findings"]
    assert findings_pt and [f["code"] for f in findings_pt] == [f["code"] for f in findings_en]
    for finding_pt, finding_en in zip(findings_pt, findings_en, strict=True):
        assert finding_pt["message"] != finding_en["message"]
        assert finding_pt["action"] == PT_BR.get(finding_en["action"], finding_pt["action"])


async def test_document_route_errors_and_texts_in_both_languages(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    pt, en = await _both(client, "GET", f"/plans/{gid('Plan', 99_999_999)}/contract.pdf")
    assert pt.status_code == 404
    _same_codes(pt, en)
    assert _errors(pt)[0]["extensions"]["code"] == "NOT_FOUND"
    assert _errors(pt)[0]["message"] == "Não encontrado: Plano 99999999."
    plan = await a_plan(session)
    url = f"/plans/{gid('Plan', plan.id)}/connection-statement.pdf"
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    backwards = {"start": (start + dt.timedelta(days=1)).isoformat(), "end": start.isoformat()}
    pt, en = await _both(client, "GET", url, params=backwards)
    assert pt.status_code == 400
    _same_codes(pt, en)
    fields = _errors(pt)[0]["extensions"]["fields"]
    assert fields == [{"path": ["end"], "message": "deve ser posterior ao início"}]
    assert _errors(en)[0]["extensions"]["fields"][0]["message"] == "must be after start"
    period = {"start": start.isoformat(), "end": (start + dt.timedelta(days=30)).isoformat()}
    pt, en = await _both(client, "GET", url, params=period)
    assert pt.status_code == 200, pt.text
    text_pt, text_en = (_pdf_text(r) for r in (pt, en))
    assert "Extrato de Conexões" in text_pt and "Período: 01/01/2026 00:00" in text_pt
    assert "Connection Statement" in text_en and "Period: 2026-01-01 00:00" in text_en


def _pdf_text(response: httpx.Response) -> str:
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


async def test_429_and_503_bodies_in_both_languages(engine: AsyncEngine, database_url: str) -> None:
    query = {"query": "{ banks { name } }"}
    limited = test_settings(database_url, rate_limit_per_identity="1/60")
    async with http_client(engine, limited) as client:
        assert (await client.post("/graphql", json=query)).status_code == 200
        pt, en = await _both(client, "POST", "/graphql", json=query)
    assert pt.status_code == 429
    _same_codes(pt, en)
    assert _errors(pt)[0]["message"] == "Requisições demais: o limite é 1 a cada 60 s."
    assert _errors(en)[0]["message"] == "Too many requests: the limit is 1 per 60 s."
    # Redis that refuses every connection (a port held bound, never listening), rate limits
    # failing closed: 503 with Retry-After.
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    try:
        closed = test_settings(
            database_url,
            redis_url=f"redis://127.0.0.1:{holder.getsockname()[1]}/0",
            rate_limit_per_identity="1000/60",
            rate_limit_on_redis_failure="closed",
        )
        async with http_client(engine, closed) as client:
            pt, en = await _both(client, "POST", "/graphql", json=query)
    finally:
        holder.close()
    assert pt.status_code == 503 and "retry-after" in pt.headers
    _same_codes(pt, en)
    assert _errors(pt)[0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert _errors(pt)[0]["message"].startswith("Os limites de requisições não podem ser contados")


async def test_a_subscriber_reads_its_own_refusal_in_portuguese(
    engine: AsyncEngine, database_url: str, session: AsyncSession
) -> None:
    """Subscribers are whom the default is for: no header, the ISP's language."""
    plan = await a_plan(session)
    me = subscriber(plan.customer_id)
    settings = test_settings(database_url, language="pt-BR")
    async with http_client(engine, settings, me) as client:
        other = f"/plans/{gid('Plan', 99_999_999)}/contract.pdf"
        refused = await client.get(other, headers=bearer(me))
    assert refused.headers["content-language"] == "pt-BR"
    assert _errors(refused)[0]["message"] == "Não encontrado: Plano 99999999."
