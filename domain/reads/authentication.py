"""Reads of the authentication assistant: a plan's RADIUS logins, their accounting sessions
(radacct) and authentication attempts (radpostauth), and the NAS a session is on."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m


async def radius_logins(session: AsyncSession, plan_id: int) -> list[m.RadiusLogin]:
    statement = (
        select(m.RadiusLogin).where(m.RadiusLogin.plan_id == plan_id).order_by(m.RadiusLogin.id)
    )
    return list(await session.scalars(statement))


async def open_session(session: AsyncSession, login: str) -> m.ConnectionSession | None:
    """The login's session without a stop time, the latest started if several."""
    s = m.ConnectionSession
    statement = (
        select(s)
        .where(s.username == login, s.acctstoptime.is_(None))
        .order_by(s.acctstarttime.desc(), s.radacctid.desc())
        .limit(1)
    )
    return (await session.scalars(statement)).first()


async def last_sessions(session: AsyncSession, login: str, limit: int) -> list[m.ConnectionSession]:
    s = m.ConnectionSession
    statement = (
        select(s)
        .where(s.username == login, s.acctstoptime.is_not(None))
        .order_by(s.acctstoptime.desc(), s.radacctid.desc())
        .limit(limit)
    )
    return list(await session.scalars(statement))


async def last_attempts(session: AsyncSession, login: str, limit: int) -> list[m.RadPostAuth]:
    a = m.RadPostAuth
    statement = (
        select(a).where(a.username == login).order_by(a.authdate.desc(), a.id.desc()).limit(limit)
    )
    return list(await session.scalars(statement))


async def rejects_since(session: AsyncSession, login: str, since: dt.datetime) -> int:
    a = m.RadPostAuth
    statement = (
        select(func.count())
        .select_from(a)
        .where(a.username == login, a.reply == "Access-Reject", a.authdate >= since)
    )
    return int(await session.scalar(statement) or 0)


async def nas_by_address(session: AsyncSession, address: str) -> m.Nas | None:
    return (await session.scalars(select(m.Nas).where(m.Nas.nasname == address))).first()
