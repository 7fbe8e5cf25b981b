"""The agenda's free slots (manual 001 §5.1-5.2: "Agenda" of a technician or a role)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from gateway.schema.errors import (
    Conflict,
    InvalidTransition,
    NotAllowed,
    NotFound,
    RuleViolation,
    ValidationError,
)


@strawberry.type(description="A slot of a day: from `start` up to (not including) `end`.")
class TimeSlot:
    start: dt.time = strawberry.field(description="When the installation would start.")
    end: dt.time = strawberry.field(description="When it would end.")


@strawberry.type(description="The slots scheduleInstallation would accept on the day.")
class FreeSlots:
    date: dt.date = strawberry.field(description="The day.")
    duration_minutes: int = strawberry.field(description="The length of each slot.")
    slots: list[TimeSlot] = strawberry.field(
        description="Every half hour from `from` whose whole slot is free, in order."
    )


FreeSlotsResult = Annotated[
    FreeSlots
    | ValidationError
    | NotFound
    | NotAllowed
    | InvalidTransition
    | RuleViolation
    | Conflict,
    strawberry.union("FreeSlotsResult", description="The day's free slots, or why not."),
]
