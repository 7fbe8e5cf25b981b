"""Root fields of the agenda: the free slots of a technician's or a role's day."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from domain.actions import agenda
from gateway.resolvers.mutations import perform
from gateway.schema.agenda import FreeSlots, FreeSlotsResult, TimeSlot
from gateway.schema.base import Info
from gateway.schema.ids import database_id


def _key(raw: strawberry.ID | None, type_name: str) -> int | None:
    if raw is None:
        return None
    return database_id(raw, type_name) or -1


@strawberry.type
class AgendaQuery:
    @strawberry.field(
        description="The slots of a day a technician (or at least one technician of a role) "
        "is free for an installation of `duration` minutes (PLAN_ADMIN)."
    )
    async def free_slots(
        self,
        info: Info,
        date: Annotated[dt.date, strawberry.argument(description="The day.")],
        duration: Annotated[
            int, strawberry.argument(description="The installation's length in minutes.")
        ],
        technician_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The technician; give it or `roleId`."),
        ] = None,
        role_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The role (cargo); give it or `technicianId`."),
        ] = None,
        from_: Annotated[
            dt.time,
            strawberry.argument(name="from", description="The first hour shown (Hr. Ini)."),
        ] = agenda.DAY_START,
        to: Annotated[
            dt.time, strawberry.argument(description="The last hour shown (Hr. Fin).")
        ] = agenda.DAY_END,
    ) -> FreeSlotsResult:
        result = await perform(
            info,
            lambda session: agenda.free_slots(
                session,
                technician_id=_key(technician_id, "Technician"),
                role_id=_key(role_id, "Role"),
                date=date,
                duration_minutes=duration,
                start=from_,
                end=to,
                actor=info.context.identity,
            ),
        )
        if not isinstance(result, list):
            return result  # type: ignore[return-value]
        return FreeSlots(
            date=date,
            duration_minutes=duration,
            slots=[TimeSlot(start=start, end=end) for start, end in result],
        )
