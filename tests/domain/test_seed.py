"""The seed: same arguments, same rows, on either database; rows that respect the domain."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain import models as m
from domain import seed_catalog as cat
from domain.db import create_engine
from domain.models.enums import (
    AntivirusStatus,
    CallTermination,
    CustomerKind,
    InactiveReason,
    PlanStatus,
    ReceivableOrigin,
    ServiceKind,
    ServiceStatus,
)
from domain.rules import services as rules
from domain.rules.boleto import barcode_of_line
from domain.rules.documents import is_valid_cnpj, is_valid_cpf
from domain.rules.franchise import LOCAL_OF
from domain.seed import build_rows, seed_database
from tests.databases import fresh_database

DUMPED = (m.Customer, m.Plan, m.Service, m.RadiusLogin, m.TvPoint, m.Receivable)


async def _dump(url: str, customers: int, seed: int) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(url)
    try:
        await seed_database(engine, customers=customers, seed=seed)
        dump = {}
        async with engine.connect() as connection:
            for model in DUMPED:
                table = model.__table__
                rows = await connection.execute(select(table).order_by(*table.primary_key))
                dump[table.name] = [tuple(row) for row in rows]
        return dump
    finally:
        await engine.dispose()


def test_same_arguments_give_the_same_rows() -> None:
    with fresh_database() as first, fresh_database() as second:
        one = asyncio.run(_dump(first, 40, 3))
        two = asyncio.run(_dump(second, 40, 3))
    assert one["customer"] and one == two


def test_rows_depend_on_the_seed() -> None:
    one, two = build_rows(20, 1), build_rows(20, 2)
    documents = [
        [row["document"] for row in rows.by_table[m.Customer.__table__]] for rows in (one, two)
    ]
    assert documents[0] != documents[1]
    assert build_rows(20, 1).by_table[m.Plan.__table__] == one.by_table[m.Plan.__table__]


def test_a_second_seed_into_the_same_database_is_refused() -> None:
    with fresh_database() as url:

        async def twice() -> str:
            engine = create_engine(url)
            try:
                await seed_database(engine, customers=2, seed=1)
                try:
                    await seed_database(engine, customers=2, seed=1)
                except ValueError as error:
                    return str(error)
                return "accepted"
            finally:
                await engine.dispose()

        assert "already has a catalog" in asyncio.run(twice())


async def test_seeded_data_respects_the_domain(session: AsyncSession) -> None:
    customers = list(await session.scalars(select(m.Customer)))
    for customer in customers:
        valid = is_valid_cpf if customer.kind is CustomerKind.PERSON else is_valid_cnpj
        assert valid(customer.document), customer.document
    assert {c.kind for c in customers} == set(CustomerKind)

    plans = list(await session.scalars(select(m.Plan)))
    plans_per_customer = Counter(plan.customer_id for plan in plans)
    assert set(plans_per_customer) == {c.id for c in customers}
    assert set(plans_per_customer.values()) <= {1, 2, 3}
    assert {plan.status for plan in plans} == set(PlanStatus)
    assert {plan.inactive_reason for plan in plans} - {None} == set(InactiveReason)

    kinds = set(await session.scalars(select(m.Service.kind).distinct()))
    assert kinds == set(ServiceKind)

    tv_plan_offers = set(
        await session.scalars(
            select(m.PlanOffer.is_tv_offer)
            .join(m.Plan, m.Plan.offer_id == m.PlanOffer.id)
            .join(m.TvPoint, m.TvPoint.plan_id == m.Plan.id)
            .distinct()
        )
    )
    assert tv_plan_offers == {True}
    allowed = {
        (row.offer_id, row.kind) for row in await session.scalars(select(m.PlanOfferServiceKind))
    }
    used = await session.execute(
        select(m.Plan.offer_id, m.Service.kind).join(m.Service, m.Service.plan_id == m.Plan.id)
    )
    assert {(offer_id, kind) for offer_id, kind in used} <= allowed
    for model in (
        m.Receivable,
        m.Invoice,
        m.Ticket,
        m.ConnectionSession,
        m.CallRecord,
        m.VoiceSubscriber,
        m.VoiceLine,
        m.InstallationAppointment,
    ):
        assert await session.scalar(select(model).limit(1)) is not None, model.__name__


async def test_seeded_boletos_carry_valid_febraban_lines(session: AsyncSession) -> None:
    boletos = list(await session.scalars(select(m.Boleto)))
    assert boletos
    for boleto in boletos:
        assert barcode_of_line(boleto.digitable_line) == boleto.barcode


async def test_inserts_after_the_seed_get_fresh_ids(
    session: AsyncSession, engine: AsyncEngine
) -> None:
    highest = await session.scalar(select(m.Customer.id).order_by(m.Customer.id.desc()).limit(1))
    customer = m.Customer(kind=CustomerKind.PERSON, name="Nova Cliente", document="52998224725")
    session.add(customer)
    await session.flush()
    assert customer.id > highest


def test_dates_follow_the_day_given_and_stay_deterministic() -> None:
    today = dt.date(2027, 3, 15)
    one, two = build_rows(30, 5, today), build_rows(30, 5, today)
    assert one.by_table[m.Receivable.__table__] == two.by_table[m.Receivable.__table__]
    live = {
        row["id"]
        for row in one.by_table[m.Plan.__table__]
        if row["status"] is not PlanStatus.CANCELLED
    }
    newest: dict[int, dt.date] = {}
    for row in one.by_table[m.Receivable.__table__]:
        if row["plan_id"] in live and row["origin"] is ReceivableOrigin.PLAN_CYCLE:
            newest[row["plan_id"]] = max(
                newest.get(row["plan_id"], row["due_date"]), row["due_date"]
            )
    # Every live plan's newest cycle is due after today: open and not yet due on the demo.
    assert newest and all(due > today for due in newest.values())
    later = build_rows(30, 5, today + dt.timedelta(days=365))
    assert later.by_table[m.Customer.__table__][0]["created_at"] == (
        one.by_table[m.Customer.__table__][0]["created_at"] + dt.timedelta(days=365)
    )


def test_a_full_ip_pool_stops_handing_out_fixed_ips(monkeypatch: pytest.MonkeyPatch) -> None:
    tiny = [(name, network.rsplit("/", 1)[0] + "/29", gw) for name, network, gw in cat.IP_POOLS]
    monkeypatch.setattr(cat, "IP_POOLS", tiny)
    rows = build_rows(300, 1)  # wants far more fixed IPs than two /29 pools hold
    addresses = [row["address"] for row in rows.by_table[m.IpAssignment.__table__]]
    assert 0 < len(addresses) <= 2 * 5
    assert len(set(addresses)) == len(addresses)


async def test_seeded_voice_and_identifiers_follow_the_rules(session: AsyncSession) -> None:
    """The rules of issue 14 hold in the demo data: six terminations, consume-local only with a
    local franchise (ADR 0110), ended licences DELETED and identifiers in their one spelling
    (ADR 0113)."""
    terminations = set(await session.scalars(select(m.CallRecord.termination).distinct()))
    assert terminations == set(CallTermination)
    franchises = list(await session.scalars(select(m.VoiceFranchise)))
    granted = {(f.subscriber_id, f.category) for f in franchises if f.minutes}
    marked = [f for f in franchises if f.consumes_local]
    assert marked
    for franchise in marked:
        assert (franchise.subscriber_id, LOCAL_OF[franchise.category]) in granted
    licences = list(await session.scalars(select(m.AntivirusLicense)))
    assert {lic.license_status for lic in licences if lic.status is ServiceStatus.CANCELLED} == {
        AntivirusStatus.DELETED
    }
    assert AntivirusStatus.DELETED not in {
        lic.license_status for lic in licences if lic.status is not ServiceStatus.CANCELLED
    }
    for login in await session.scalars(select(m.RadiusLogin.login)):
        assert login == rules.login(login)
    for identifier in await session.scalars(select(m.Circuit.identifier)):
        assert identifier == rules.circuit_identifier(identifier)
    for casn in await session.scalars(select(m.Equipment.casn)):
        assert casn == rules.casn(casn)
    for username in await session.scalars(select(m.VoiceSubscriber.panel_username)):
        assert username == username.lower()
