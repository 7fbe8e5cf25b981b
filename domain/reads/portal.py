"""Reads of the subscriber's own view: usage statements, tickets, invoices, boletos.

Every statement here runs on a session scoped to its caller (domain.access): a subscriber's
statement of another customer's plan is simply empty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement

from domain import models as m
from domain.models.enums import CallTermination, ServiceKind, TicketStatus


@dataclass(frozen=True)
class UsageTotals:
    count: int
    duration_seconds: int
    input_octets: int
    output_octets: int


async def connection_statement(
    session: AsyncSession,
    plan_id: int,
    start: dt.datetime,
    end: dt.datetime,
    *,
    offset: int,
    limit: int,
) -> tuple[list[m.ConnectionSession], UsageTotals]:
    """One page of the plan's RADIUS sessions that started in [start, end), newest first,
    with the totals of the whole period."""
    s = m.ConnectionSession
    # A login the plan took over from a cancelled plan (ADR 0104) shows only its own sessions.
    login = m.RadiusLogin
    ours = (
        select(login.id)
        .where(
            login.plan_id == plan_id,
            login.login == s.username,
            login.created_at <= s.acctstarttime,
        )
        .correlate(s)  # the session row of the outer statement, never a FROM of its own
        .exists()
    )
    where = and_(ours, s.acctstarttime >= start, s.acctstarttime < end)
    total = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(s.acctsessiontime), 0),
                func.coalesce(func.sum(s.acctinputoctets), 0),
                func.coalesce(func.sum(s.acctoutputoctets), 0),
            ).where(where)
        )
    ).one()
    rows = await session.scalars(
        select(s)
        .where(where)
        .order_by(s.acctstarttime.desc(), s.radacctid.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), UsageTotals(*(int(value) for value in total))


@dataclass(frozen=True)
class CallTotals:
    termination: CallTermination
    count: int
    duration_seconds: int
    cost: Decimal


async def call_statement(
    session: AsyncSession,
    plan_id: int,
    start: dt.datetime,
    end: dt.datetime,
    terminations: Sequence[CallTermination] | None,
    terminal_ids: Sequence[int] | None = None,
) -> tuple[list[m.CallRecord], list[CallTotals]]:
    """The plan's voice terminals' calls in [start, end), oldest first, and the totals per
    termination type (every type, zero when none); only `terminal_ids`' calls when given."""
    terminals = select(m.Service.id).where(
        m.Service.plan_id == plan_id, m.Service.kind == ServiceKind.VOICE_TERMINAL
    )
    if terminal_ids:
        terminals = terminals.where(m.Service.id.in_(list(terminal_ids)))
    return await _calls(
        session, m.CallRecord.voice_terminal_id.in_(terminals), start, end, terminations
    )


async def line_call_statement(
    session: AsyncSession,
    line_id: int,
    start: dt.datetime,
    end: dt.datetime,
    terminations: Sequence[CallTermination] | None,
) -> tuple[list[m.CallRecord], list[CallTotals]]:
    """A voice reseller's line's calls in [start, end), as `call_statement` gives a plan's."""
    return await _calls(session, m.CallRecord.voice_line_id == line_id, start, end, terminations)


async def _calls(
    session: AsyncSession,
    source: ColumnElement[bool],
    start: dt.datetime,
    end: dt.datetime,
    terminations: Sequence[CallTermination] | None,
) -> tuple[list[m.CallRecord], list[CallTotals]]:
    c = m.CallRecord
    where = [source, c.started_at >= start, c.started_at < end]
    if terminations:
        where.append(c.termination.in_(list(terminations)))
    rows = list(await session.scalars(select(c).where(*where).order_by(c.started_at, c.id)))
    sums: dict[CallTermination, list[Any]] = {}
    for row in rows:
        entry = sums.setdefault(row.termination, [0, 0, Decimal("0")])
        entry[0] += 1
        entry[1] += row.duration_seconds
        entry[2] += row.cost
    shown = terminations or list(CallTermination)
    totals = [
        CallTotals(t, *sums.get(t, [0, 0, Decimal("0.00")])) for t in CallTermination if t in shown
    ]
    return rows, totals


@dataclass(frozen=True)
class TicketFilter:
    protocol: str | None = None
    description: str | None = None
    type: str | None = None
    opened_from: dt.datetime | None = None
    opened_to: dt.datetime | None = None
    status: Sequence[TicketStatus] = field(default_factory=tuple)
    contact_name: str | None = None


def _contains(column: Any, text: str) -> Any:
    # lower() on both sides: SQLite's LIKE folds ASCII only and PostgreSQL's not at all.
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return func.lower(column).like(pattern, escape="\\")


async def tickets(
    session: AsyncSession, customer_id: int | None, wanted: TicketFilter, *, limit: int
) -> list[m.Ticket]:
    """Tickets matching every given criterion, newest first (at most `limit`).

    The contact name is the ticket's first contact's (position 1), as manual 003 says.
    """
    t = m.Ticket
    where: list[Any] = []
    if customer_id is not None:
        where.append(t.customer_id == customer_id)
    if wanted.protocol:
        where.append(t.protocol == wanted.protocol.strip())
    if wanted.description:
        where.append(_contains(t.description, wanted.description))
    if wanted.type:
        where.append(_contains(t.type, wanted.type))
    if wanted.opened_from is not None:
        where.append(t.opened_at >= wanted.opened_from)
    if wanted.opened_to is not None:
        where.append(t.opened_at < wanted.opened_to)
    if wanted.status:
        where.append(t.status.in_(list(wanted.status)))
    if wanted.contact_name:
        first = select(m.TicketContact.ticket_id).where(
            m.TicketContact.position == 1, _contains(m.TicketContact.name, wanted.contact_name)
        )
        where.append(t.id.in_(first))
    statement = select(t).where(*where).order_by(t.opened_at.desc(), t.id.desc()).limit(limit)
    return list(await session.scalars(statement))


async def first_open_boleto(session: AsyncSession, receivable_id: int) -> m.Boleto | None:
    """The latest boleto issued for a receivable, if any."""
    statement = (
        select(m.Boleto)
        .where(m.Boleto.receivable_id == receivable_id)
        .order_by(m.Boleto.issued_at.desc(), m.Boleto.id.desc())
        .limit(1)
    )
    return (await session.scalars(statement)).first()


async def default_bank(session: AsyncSession) -> m.Bank | None:
    """The bank new boletos are issued with: the first configured one."""
    return (await session.scalars(select(m.Bank).order_by(m.Bank.id).limit(1))).first()


async def boleto_count(session: AsyncSession, receivable_id: int) -> int:
    statement = select(func.count()).where(m.Boleto.receivable_id == receivable_id)
    return int(await session.scalar(statement) or 0)


async def terminal_numbers(session: AsyncSession, terminal_ids: Sequence[int]) -> dict[int, str]:
    """The phone number of each voice terminal, by its id."""
    if not terminal_ids:
        return {}
    statement = select(m.VoiceTerminal.id, m.VoiceTerminal.phone_number).where(
        m.VoiceTerminal.id.in_(list(set(terminal_ids)))
    )
    return {row.id: row.phone_number for row in await session.execute(statement)}


async def recent_sms_purchase(
    session: AsyncSession, *, plan_id: int, credit_value_id: int, since: dt.datetime
) -> m.SmsCreditPurchase | None:
    """The first purchase of this package for this plan made at or after `since`, if any."""
    p = m.SmsCreditPurchase
    statement = (
        select(p)
        .where(p.plan_id == plan_id, p.credit_value_id == credit_value_id, p.created_at >= since)
        .order_by(p.id)
        .limit(1)
    )
    return (await session.scalars(statement)).first()
