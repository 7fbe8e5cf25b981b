"""Identifiers people type, whatever their case (ADR 0113): the one spelling the rules give, the
database's own unique indexes on the folded value (on SQLite and PostgreSQL alike), and
migration 1102 rewriting older rows to that spelling, or stopping on rows that clash."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.db import create_engine, writer_bind
from domain.rules import services as rules
from gateway.cli.migrate import upgrade
from tests.databases import fresh_database


def test_the_rules_fold_every_identifier() -> None:
    assert rules.login("  Joao.Silva ") == "joao.silva"
    assert rules.sip_username("Sip.Caso") == "sip.caso"
    assert rules.circuit_identifier(" cir-0001   sp ") == "CIR-0001 SP"
    assert rules.casn("abcd 12-34") == "ABCD12-34"
    assert rules.onu_serial("zte1234abcd") == "ZTE1234ABCD"
    assert rules.domain_name("Loja.COM.br.") == "loja.com.br"
    for bad in ("", "-cir", "c" * 61, "cir\u00e7"):
        with pytest.raises(ValueError):
            rules.circuit_identifier(bad)


async def _one(session: AsyncSession, model: Any) -> Any:
    row = await session.scalar(select(model).order_by(model.id).limit(1))
    assert row is not None
    return row


async def _refused(session: AsyncSession, statement: Any) -> None:
    """The raw insert (no action, no rule) is refused by the database itself."""
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await session.execute(statement)


async def test_the_database_refuses_a_second_spelling(session: AsyncSession) -> None:
    radius = await _one(session, m.RadiusLogin)
    service = (
        await session.execute(
            insert(m.Service.__table__).values(
                plan_id=radius.plan_id, kind="RADIUS_LOGIN", status="ACTIVE"
            )
        )
    ).inserted_primary_key[0]
    await _refused(
        session,
        insert(m.RadiusLogin.__table__).values(
            id=service, login=radius.login.upper(), password_hash="x"
        ),
    )
    mailbox = await _one(session, m.EmailAccount)
    await _refused(
        session,
        insert(m.EmailAccount.__table__).values(
            id=service,
            login=mailbox.login.upper(),
            domain=mailbox.domain.upper(),
            password_hash="x",
            quota_mb=1,
        ),
    )
    circuit = await _one(session, m.Circuit)
    await _refused(
        session,
        insert(m.Circuit.__table__).values(
            id=service,
            identifier=circuit.identifier.lower(),
            bandwidth_kbps=1,
            endpoint_a="a",
            endpoint_b="b",
        ),
    )
    equipment = await _one(session, m.Equipment)
    await session.execute(
        text("UPDATE equipment SET casn = :casn WHERE id = :id"),
        {"casn": "CASN-LETRAS-1", "id": equipment.id},
    )
    await _refused(
        session,
        insert(m.Equipment.__table__).values(
            casn="casn-letras-1",
            description="x",
            asset_tag="x-1",
            serial="x-1",
            internal_code="x",
        ),
    )
    subscriber = await _one(session, m.VoiceSubscriber)
    await _refused(
        session,
        text("UPDATE voice_subscriber SET panel_username = :name WHERE id <> :id").bindparams(
            name=subscriber.panel_username.upper(), id=subscriber.id
        ),
    )


def _rows_of(url: str, statement: str) -> list[tuple[Any, ...]]:
    async def read() -> list[tuple[Any, ...]]:
        engine = create_engine(url)
        try:
            async with engine.connect() as connection:
                return [tuple(row) for row in await connection.execute(text(statement))]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def _write(url: str, *statements: str) -> None:
    async def write() -> None:
        engine = create_engine(url)
        try:
            async with writer_bind(engine).begin() as connection:
                for statement in statements:
                    await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(write())


def _subscriber(pk: int, document: str, username: str) -> str:
    return (
        "INSERT INTO voice_subscriber (id, reseller_id, kind, name, document, cep, street, number, "
        "district, city, state, credit_limit, monthly_limit, panel_username, panel_password_hash) "
        f"VALUES ({pk}, 1, 'PERSON', 'Ana', '{document}', '01001000', 'R', '1', 'B', 'C', 'SP', "
        f"0, 0, '{username}', 'x')"
    )


def test_migration_1102_folds_older_rows_or_names_the_clashes() -> None:
    with fresh_database(migrate=False) as url:
        upgrade(url, "1101")
        _write(
            url,
            "INSERT INTO voice_reseller (id, name, document) "
            "VALUES (1, 'Revenda', '11222333000181')",
            _subscriber(1, "52998224725", "ana"),
            _subscriber(2, "11144477735", "ANA"),
            _subscriber(3, "39053344705", "Bia.Painel"),
            "INSERT INTO equipment (id, casn, description, asset_tag, serial, internal_code) "
            "VALUES (1, 'ab 12cd', 'x', 'a1', 's1', 'i1')",
        )
        with pytest.raises(RuntimeError, match=r"voice_subscriber rows \[1, 2\] are all ana"):
            upgrade(url)
        # Nothing was rewritten: a person decides which of the two keeps the name.
        usernames = "SELECT panel_username FROM voice_subscriber ORDER BY id"
        assert _rows_of(url, usernames) == [("ana",), ("ANA",), ("Bia.Painel",)]
        assert _rows_of(url, "SELECT casn FROM equipment") == [("ab 12cd",)]

        _write(url, "UPDATE voice_subscriber SET panel_username = 'ana.2' WHERE id = 2")
        upgrade(url)
        assert _rows_of(url, usernames) == [("ana",), ("ana.2",), ("bia.painel",)]
        assert _rows_of(url, "SELECT casn FROM equipment") == [("AB12CD",)]
