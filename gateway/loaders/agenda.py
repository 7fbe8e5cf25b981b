"""Loaders of the agenda: appointments of technicians and roles over a period."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from domain import models as m
from domain.reads import plans as reads
from gateway.loaders.base import RequestLoader

# (owner kind "technician" or "role", its id, first day, last day)
AgendaKey = tuple[str, int, dt.date, dt.date]


class AppointmentsByAgendaKeyLoader(RequestLoader[list[m.InstallationAppointment]]):
    """A technician's (booked for it) or a role's (booked for the role) appointments in a
    period: one statement per distinct period, whatever the number of technicians."""

    async def batch_load_fn(self, keys: Sequence[AgendaKey]) -> list[Any]:
        periods: dict[tuple[dt.date, dt.date], list[AgendaKey]] = defaultdict(list)
        for key in keys:
            periods[(key[2], key[3])].append(key)
        found: dict[AgendaKey, list[m.InstallationAppointment]] = {}
        for (start, end), group in periods.items():
            rows = await self.db.run(
                reads.appointments_between,
                start=start,
                end=end,
                technician_ids=[k[1] for k in group if k[0] == "technician"],
                role_ids=[k[1] for k in group if k[0] == "role"],
            )
            for key in group:
                column = "technician_id" if key[0] == "technician" else "role_id"
                found[key] = [row for row in rows if getattr(row, column) == key[1]]
        return [found[key] for key in keys]
