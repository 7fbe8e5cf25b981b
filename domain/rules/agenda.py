"""The installation agenda (manual 001 §5.1-5.2): when slots overlap, and which slots of a day
are free. `overlaps` is the one rule: scheduling refuses a slot that overlaps another of the
technician's (plans.check_slot_free), and freeSlots offers only slots it does not refuse."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

Slot = tuple[dt.time, dt.time]  # [start, end): the end minute is free for the next slot


def overlaps(a: Slot, b: Slot) -> bool:
    """Whether two half-open slots share a minute: 09:00-10:00 and 10:00-11:00 do not."""
    return a[0] < b[1] and b[0] < a[1]


def _at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time)


def candidate_slots(
    *, day: dt.date, start: dt.time, end: dt.time, duration: dt.timedelta, step: dt.timedelta
) -> list[Slot]:
    """Every slot of `duration` from `start`, one `step` apart, that ends by `end`."""
    slots, at = [], _at(day, start)
    while at + duration <= _at(day, end):
        slots.append((at.time(), (at + duration).time()))
        at += step
    return slots


def free_slots(
    candidates: Sequence[Slot],
    busy_by_person: Sequence[Sequence[Slot]],
    unassigned_busy: Sequence[Slot] = (),
) -> list[Slot]:
    """The candidates at least one person is free for.

    `busy_by_person`: each technician's booked slots. `unassigned_busy`: slots booked for the
    role without a technician yet; each one overlapping a candidate takes one free technician."""
    free = []
    for slot in candidates:
        available = sum(
            1 for booked in busy_by_person if not any(overlaps(slot, b) for b in booked)
        )
        taken = sum(1 for b in unassigned_busy if overlaps(slot, b))
        if available > taken:
            free.append(slot)
    return free
