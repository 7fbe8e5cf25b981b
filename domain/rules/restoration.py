"""Limits of a temporary speed restoration or a temporary enablement (pure functions).

DOMAIN.md §3: allowed only if the offer allows it (restoration); it lasts N days (a system
setting); a new one only after the billing form's minimum interval; refused once the overdue
receivable is more than the billing form's maximum days past due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.i18n import Message, _
from domain.models.enums import SpeedState


@dataclass(frozen=True)
class Refusal:
    """Which limit refused, why, and when the next attempt may succeed (None: not by waiting)."""

    rule: str
    message: Message
    next_allowed_at: dt.datetime | None = None


def check_limits(
    *,
    what: str,
    now: dt.datetime,
    last_at: dt.datetime | None,
    min_interval_days: int,
    oldest_overdue: dt.date | None,
    max_days_overdue: int,
) -> Refusal | None:
    """The first limit that refuses `what` now, or None when every limit allows it."""
    if last_at is not None:
        next_at = last_at + dt.timedelta(days=min_interval_days)
        if now < next_at:
            return Refusal(
                "MIN_INTERVAL",
                _(
                    "A {what} was done on {last_at:%Y-%m-%d %H:%M} UTC; the billing form allows "
                    "one every {min_interval_days} days, so the next is allowed from "
                    "{next_at:%Y-%m-%d %H:%M} UTC.",
                    what=what,
                    last_at=last_at,
                    min_interval_days=min_interval_days,
                    next_at=next_at,
                ),
                next_at,
            )
    if oldest_overdue is not None:
        days = (now.date() - oldest_overdue).days
        if days > max_days_overdue:
            return Refusal(
                "MAX_DAYS_OVERDUE",
                _(
                    "The oldest open receivable fell due on {oldest_overdue:%Y-%m-%d}, {days} "
                    "days ago; the billing form allows a {what} up to {max_days_overdue} days "
                    "past due. It is allowed again once that receivable is paid.",
                    oldest_overdue=oldest_overdue,
                    days=days,
                    what=what,
                    max_days_overdue=max_days_overdue,
                ),
            )
    return None


def speed_state(
    stored: SpeedState, restored_until: dt.datetime | None, now: dt.datetime
) -> SpeedState:
    """The plan's speed state at `now` (ADR 0102): a temporary restoration lasts until
    `restored_until` and the speed is REDUCED again after it, whatever the stored state says.

    Every reader asks this (the graph on both read paths, the next restoration): the column
    keeps the last state an action set, and nothing has to run when a restoration runs out.
    """
    if stored is SpeedState.TEMPORARILY_RESTORED and (
        restored_until is None or restored_until <= now
    ):
        return SpeedState.REDUCED
    return stored
