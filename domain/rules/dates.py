"""The one way every date and period a user gives is checked (ADR 0103).

A period is `start` (included) to `end` (excluded), both instants with a time zone, the end after
the start, and at most a bounded length; a date is refused outside the bounds its use allows
(a TV package not before its plan started, a billing run not past the billing horizon). Each
refusal is a ValidationFailed naming the input field, in words.
"""

from __future__ import annotations

import datetime as dt

from domain.errors import ValidationFailed
from domain.i18n import _

MAX_PERIOD_DAYS = 366


def check_period(
    start: dt.datetime,
    end: dt.datetime,
    *,
    path: str = "period",
    max_days: int = MAX_PERIOD_DAYS,
) -> None:
    """A period must be ordered, time-zoned and at most `max_days` long."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed.one(path, _("Give both instants with a time zone."))
    if end <= start:
        raise ValidationFailed.one(f"{path}.end", _("The end must come after the start."))
    if end - start > dt.timedelta(days=max_days):
        raise ValidationFailed.one(
            path, _("A period covers at most {max_days} days.", max_days=max_days)
        )


def _bound(words: str, day: dt.date) -> str:
    return f"{words} ({day.isoformat()})" if words else day.isoformat()


def check_date(
    value: dt.date,
    *,
    path: str,
    earliest: dt.date | None = None,
    earliest_is: str = "",
    latest: dt.date | None = None,
    latest_is: str = "",
) -> None:
    """`value` must fall within [earliest, latest]; `earliest_is` / `latest_is` say in words
    what each bound is ("the plan's start", "the billing horizon")."""
    if earliest is not None and value < earliest:
        raise ValidationFailed.one(
            path, _("must not be before {value}", value=_bound(earliest_is, earliest))
        )
    if latest is not None and value > latest:
        raise ValidationFailed.one(
            path, _("must not be after {value}", value=_bound(latest_is, latest))
        )
