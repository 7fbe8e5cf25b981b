"""The printed documents over HTTP, read back as text (pypdf): bank-debit authorization,
connection, call and financial statements, and the invoice; scoped like the contract."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.contract_document import brl
from domain.db import writer_bind
from domain.identity import Identity, Permission
from domain.models.enums import PaymentMethod, ReceivableStatus
from tests.gateway.helpers import bearer
from tests.gateway.registration_support import gid, gql, subscriber, written_client

BILLING = Identity.staff("billing", Permission.BILLING)


@pytest.fixture
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async for c in written_client(engine, database_url):
        yield c


def text_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


async def get(
    client: httpx.AsyncClient, identity: Identity, url: str, **params: object
) -> httpx.Response:
    # The documents' own words are read in Portuguese, as the ISP's subscribers read them.
    return await client.get(
        url, params=params, headers={**bearer(identity), "accept-language": "pt-BR"}
    )


async def test_the_bank_debit_authorization_prints_what_was_recorded(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        plan_id, customer_id, branch, account, bank = (
            await c.execute(
                select(
                    m.Plan.id,
                    m.Plan.customer_id,
                    m.Plan.bank_branch,
                    m.Plan.bank_account,
                    m.Bank.name,
                )
                .join(m.Bank, m.Bank.id == m.Plan.bank_id)
                .where(m.Plan.payment_method == PaymentMethod.BANK_DEBIT)
                .limit(1)
            )
        ).one()
        authorized = await c.scalar(
            select(m.Plan.bank_debit_authorized_at).where(m.Plan.id == plan_id)
        )
    url = f"/plans/{gid('Plan', plan_id)}/bank-debit-authorization.pdf"
    async with writer_bind(engine).begin() as c:
        await c.execute(
            update(m.Plan).where(m.Plan.id == plan_id).values(bank_debit_authorized_at=None)
        )
    try:
        missing = await get(client, subscriber(customer_id), url)
        assert missing.status_code == 409
        assert missing.json()["errors"][0]["extensions"]["rule"] == "NO_BANK_DEBIT_AUTHORIZATION"
        async with writer_bind(engine).begin() as c:
            await c.execute(
                update(m.Plan)
                .where(m.Plan.id == plan_id)
                .values(bank_debit_authorized_at=dt.datetime(2026, 11, 2, 13, 0, tzinfo=dt.UTC))
            )
        text = text_of(await get(client, subscriber(customer_id), url))
        assert bank in text and f"Agência: {branch}" in text and f"Conta: {account}" in text
        assert "Autorizado em: 02/11/2026" in text
        assert (await get(client, subscriber(customer_id + 1), url)).status_code == 404
        clerk = Identity.staff("tv", Permission.TV_PACKAGES)
        assert (await get(client, clerk, url)).status_code == 403
    finally:
        async with writer_bind(engine).begin() as c:
            await c.execute(
                update(m.Plan)
                .where(m.Plan.id == plan_id)
                .values(bank_debit_authorized_at=authorized)
            )


async def test_the_connection_statement_prints_the_periods_totals(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    s = m.ConnectionSession
    async with engine.connect() as c:
        plan_id, customer_id = (
            await c.execute(
                select(m.RadiusLogin.plan_id, m.Plan.customer_id)
                .join(m.Plan, m.Plan.id == m.RadiusLogin.plan_id)
                .join(s, s.username == m.RadiusLogin.login)
                .order_by(m.RadiusLogin.plan_id)
                .limit(1)
            )
        ).one()
        logins = select(m.RadiusLogin.login).where(m.RadiusLogin.plan_id == plan_id)
        first = await c.scalar(select(func.min(s.acctstarttime)).where(s.username.in_(logins)))
    start, end = first, first + dt.timedelta(days=366)
    url = f"/plans/{gid('Plan', plan_id)}/connection-statement.pdf"
    me = subscriber(customer_id)
    # Paper says what the screen says: the connectionStatement read's figures.
    screen = (
        await gql(
            client,
            me,
            """query ($plan: ID!, $start: DateTime!, $end: DateTime!) {
              connectionStatement(planId: $plan, period: {start: $start, end: $end}) {
                ... on ConnectionStatement { totalCount totalDurationSeconds } } }""",
            plan=gid("Plan", plan_id),
            start=start.isoformat(),
            end=end.isoformat(),
        )
    )["connectionStatement"]
    count, seconds = screen["totalCount"], screen["totalDurationSeconds"]
    assert count >= 1
    text = text_of(await get(client, me, url, start=start.isoformat(), end=end.isoformat()))
    assert f"Sessões: {count}" in text and f"Tempo total: {seconds} s" in text
    backwards = await get(client, me, url, start=end.isoformat(), end=start.isoformat())
    assert backwards.status_code == 400
    assert backwards.json()["errors"][0]["extensions"]["fields"][0]["path"] == ["end"]
    assert (await get(client, me, url, start="yesterday", end=end.isoformat())).status_code == 400
    stranger = subscriber(customer_id + 1)
    assert (
        await get(client, stranger, url, start=start.isoformat(), end=end.isoformat())
    ).status_code == 404


CALLS = """query ($plan: ID!, $start: DateTime!, $end: DateTime!, $terminals: [ID!]) {
  callStatement(planId: $plan, period: {start: $start, end: $end}, terminalId: $terminals) {
    ... on CallStatement { totalCost calls { terminal { phoneNumber } cost } } } }"""


async def test_the_call_statement_filters_by_terminal_on_screen_and_on_paper(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    c_ = m.CallRecord
    async with engine.connect() as c:
        terminal_id, number, plan_id, customer_id = (
            await c.execute(
                select(
                    m.VoiceTerminal.id, m.VoiceTerminal.phone_number, m.Plan.id, m.Plan.customer_id
                )
                .join(m.Plan, m.Plan.id == m.VoiceTerminal.plan_id)
                .join(c_, c_.voice_terminal_id == m.VoiceTerminal.id)
                .order_by(m.VoiceTerminal.id)
                .limit(1)
            )
        ).one()
        calls = (await c.execute(select(c_).where(c_.voice_terminal_id == terminal_id))).all()
    start = min(x.started_at for x in calls)
    period = {"start": start.isoformat(), "end": (start + dt.timedelta(days=366)).isoformat()}
    total = sum(
        (x.cost for x in calls if x.started_at < start + dt.timedelta(days=366)), Decimal(0)
    )
    me = subscriber(customer_id)
    screen = (
        await gql(
            client,
            me,
            CALLS,
            plan=gid("Plan", plan_id),
            terminals=[gid("VoiceTerminal", terminal_id)],
            **period,
        )
    )["callStatement"]
    assert {x["terminal"]["phoneNumber"] for x in screen["calls"]} == {number}
    assert Decimal(screen["totalCost"]) == total
    url = f"/plans/{gid('Plan', plan_id)}/call-statement.pdf"
    text = text_of(await get(client, me, url, terminal=gid("VoiceTerminal", terminal_id), **period))
    assert f"Terminais: {number}" in text and f"Total: R$ {brl(total)}" in text
    assert text.count(f"| {number} |") == len(screen["calls"])
    bad = await get(client, me, url, termination="NOWHERE", **period)
    assert bad.status_code == 400


async def test_the_financial_statement_and_the_invoice_print_their_figures(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        invoice = (await c.execute(select(m.Invoice).order_by(m.Invoice.id).limit(1))).one()
        receivables = (
            await c.execute(
                select(m.Receivable).where(m.Receivable.customer_id == invoice.customer_id)
            )
        ).all()

    me = subscriber(invoice.customer_id)
    start = min(r.due_date for r in receivables)
    end = max(r.due_date for r in receivables)
    url = f"/customers/{gid('Customer', invoice.customer_id)}/financial-statement.pdf"
    text = text_of(await get(client, me, url, start=start.isoformat(), end=end.isoformat()))
    open_total = sum(
        (r.amount for r in receivables if r.status is ReceivableStatus.OPEN), Decimal(0)
    )
    assert f"Em aberto: R$ {brl(open_total)}" in text
    assert text.count(" | ") >= len(receivables)
    # Staff need BILLING to read receivables; another subscriber finds no such customer.
    clerk = Identity.staff("clerk", Permission.CUSTOMER_ADMIN)
    assert (
        await get(client, clerk, url, start=start.isoformat(), end=end.isoformat())
    ).status_code == 403
    assert (
        await get(client, BILLING, url, start=start.isoformat(), end=end.isoformat())
    ).status_code == 200
    stranger = subscriber(invoice.customer_id + 1)
    assert (
        await get(client, stranger, url, start=start.isoformat(), end=end.isoformat())
    ).status_code == 404
    invoice_url = f"/invoices/{gid('Invoice', invoice.id)}.pdf"
    printed = text_of(await get(client, me, invoice_url))
    assert invoice.number in printed and f"Valor total: R$ {brl(invoice.amount)}" in printed
    assert (await get(client, stranger, invoice_url)).status_code == 404
