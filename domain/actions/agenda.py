"""The agenda screen of the installation scheduling (manual 001 §5.1-5.2): a technician's or
a role's appointments over a period, and the free slots of a day for an installation of a
given length. Free means what scheduleInstallation accepts: the rule is domain.rules.agenda."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.actions.plan_common import now, require
from domain.errors import FieldProblem, NotFound, ValidationFailed
from domain.i18n import _
from domain.identity import Identity, Permission
from domain.reads import common
from domain.reads import plans as reads
from domain.rules import agenda

STEP = dt.timedelta(minutes=30)
DAY_START = dt.time(8, 0)
DAY_END = dt.time(18, 0)
MAX_PERIOD_DAYS = 92


def check_period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ValidationFailed.one("period.to", _("must not be before `from`"))
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationFailed.one(
            "period.to",
            _("a period is at most {max_period_days} days", max_period_days=MAX_PERIOD_DAYS),
        )


async def free_slots(
    session: AsyncSession,
    *,
    technician_id: int | None,
    role_id: int | None,
    date: dt.date,
    duration_minutes: int,
    start: dt.time = DAY_START,
    end: dt.time = DAY_END,
    actor: Identity,
) -> list[agenda.Slot]:
    """The slots of `duration_minutes` on `date`, from `start` (Hr. Ini) to `end` (Hr. Fin),
    every half hour, that the technician is free for, or (for a role) that at least one of
    its active technicians is free for once the role's unassigned bookings are counted."""
    require(actor, Permission.PLAN_ADMIN)
    problems: list[FieldProblem] = []
    if (technician_id is None) == (role_id is None):
        problems.append(FieldProblem((), _("give exactly one of technicianId and roleId")))
    if not 15 <= duration_minutes <= 600:
        problems.append(FieldProblem(("duration",), _("must be 15 to 600 minutes")))
    if date < now().date():
        problems.append(FieldProblem(("date",), _("cannot be in the past")))
    if start >= end:
        problems.append(FieldProblem(("to",), _("must be after `from`")))
    if problems:
        raise ValidationFailed(problems)
    if technician_id is not None:
        technician = await session.get(m.Technician, technician_id)
        if technician is None or not technician.active:
            raise NotFound("Technician", technician_id)
        technicians, role = [technician], None
    else:
        role = await session.get(m.Role, role_id)
        if role is None:
            raise NotFound("Role", role_id)
        technicians = [
            t for t in await common.by_keys(session, m.Technician, "role_id", [role.id]) if t.active
        ]
    booked = await reads.scheduled_on(
        session,
        date=date,
        technician_ids=[t.id for t in technicians],
        role_id=role.id if role is not None else None,
    )
    candidates = agenda.candidate_slots(
        day=date, start=start, end=end, duration=dt.timedelta(minutes=duration_minutes), step=STEP
    )
    return agenda.free_slots(
        candidates,
        [
            [(b.start_time, b.end_time) for b in booked if b.technician_id == t.id]
            for t in technicians
        ],
        [(b.start_time, b.end_time) for b in booked if b.technician_id is None],
    )
