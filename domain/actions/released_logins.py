"""When a cancelled plan's RADIUS login and mailbox become free again (ADR 0104).

A cancelled plan's services are DISABLED, not deleted, so their names stayed taken forever and a
customer moving to a new plan could not keep its own login. The rule: the same customer may
take them again at once; anyone else once `released_login_quarantine_days` (a system variable)
have passed since the cancellation, so that a stranger does not receive the old owner's mail
the day after. Unset, others never may.

Taking a released name renames the old row to `<name>~<service id>`, a spelling no input
accepts (`~` is no login character), so every unique index stays as it is and the cancelled
plan still shows which name it had.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.models import EmailAccount, Plan, RadiusLogin
from domain.models.base import utcnow
from domain.models.enums import PlanStatus
from domain.reads import plans as plan_reads

QUARANTINE = "released_login_quarantine_days"
MAX_NAME = 64


async def _quarantine(session: AsyncSession) -> dt.timedelta | None:
    raw = await plan_reads.system_variable(session, QUARANTINE)
    try:
        days = int(raw) if raw is not None else -1
    except ValueError:
        days = -1
    return dt.timedelta(days=days) if days >= 0 else None


async def _holders(session: AsyncSession, model: Any, *where: Any) -> list[tuple[Any, Plan]]:
    statement = (
        select(model, Plan).join(Plan, Plan.id == model.plan_id).where(*where).order_by(model.id)
    )
    return [(row[0], row[1]) for row in await session.execute(statement)]


async def _releasable(
    session: AsyncSession, holders: list[tuple[Any, Plan]], customer_id: int, at: dt.datetime
) -> bool:
    quarantine = await _quarantine(session)
    for _service, plan in holders:
        if plan.status is not PlanStatus.CANCELLED or plan.cancelled_at is None:
            return False
        if plan.customer_id == customer_id:
            continue
        if quarantine is None or plan.cancelled_at + quarantine > at:
            return False
    return True


def _where(model: Any, login: str, domain: str | None) -> tuple[Any, ...]:
    if model is EmailAccount:
        return (EmailAccount.login == login, EmailAccount.domain == domain)
    return (RadiusLogin.login == login,)


async def taken(
    session: AsyncSession,
    model: Any,
    login: str,
    *,
    domain: str | None = None,
    customer_id: int,
    at: dt.datetime | None = None,
) -> bool:
    """Whether `login` (a RadiusLogin, or an EmailAccount at `domain`) is someone's: held by
    a live plan, or by a cancelled one not released to `customer_id` yet. Writes nothing."""
    holders = await _holders(session, model, *_where(model, login, domain))
    return bool(holders) and not await _releasable(session, holders, customer_id, at or utcnow())


async def release(
    session: AsyncSession,
    model: Any,
    login: str,
    *,
    domain: str | None = None,
    customer_id: int,
    at: dt.datetime | None = None,
) -> list[Any]:
    """Frees `login` for `customer_id` if the rule allows: the cancelled plans' rows holding it
    are renamed `<login>~<id>`. Returns the rows renamed (none when the name was free)."""
    holders = await _holders(session, model, *_where(model, login, domain))
    if not holders or not await _releasable(session, holders, customer_id, at or utcnow()):
        return []
    for service, _plan in holders:
        suffix = f"~{service.id}"
        service.login = service.login[: MAX_NAME - len(suffix)] + suffix
    await session.flush()
    return [service for service, _plan in holders]
