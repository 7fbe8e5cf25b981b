"""The figures of a due-date change (alterar vencimento), as a pure function of its inputs.

DOMAIN.md §3: the preview gives the days between the current next due date and the new one,
and a surcharge (acréscimo) or discount (desconto) of monthly price / 30 per day, applied to
the next receivable not yet generated; the closing day (dia de fechamento) decides which one.
ADR 0040 records the choices this module makes where the manuals are silent.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from domain.models.enums import DueDateAdjustmentKind as AdjustmentKind
from domain.rules.keys import parse_count

CENT = Decimal("0.01")
# Without a billing form, a cycle's receivable is generated this many days before it is due
# (what the demo data does).
DEFAULT_LEAD_DAYS = 10


@dataclass(frozen=True)
class DueDateFigures:
    """What changing the due day does to the next receivable not yet generated."""

    current_due_date: dt.date  # that receivable's due date today
    new_due_date: dt.date  # its due date after the change
    generated_on: dt.date  # when the billing run generates it (the closing day)
    days_moved: int  # positive: later; negative: earlier
    kind: AdjustmentKind
    amount: Decimal  # never negative; `kind` says which way it goes


def _on_day(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _add_month(day: dt.date, months: int, on_day: int) -> dt.date:
    index = day.month - 1 + months
    return _on_day(day.year + index // 12, index % 12 + 1, on_day)


def generation_date(due: dt.date, closing_day: int | None) -> dt.date:
    """The day the billing run generates the receivable due on `due`: the last closing day
    strictly before it (or DEFAULT_LEAD_DAYS before it when there is no billing form)."""
    if closing_day is None:
        return due - dt.timedelta(days=DEFAULT_LEAD_DAYS)
    candidate = _on_day(due.year, due.month, closing_day)
    return candidate if candidate < due else _add_month(due, -1, closing_day)


def next_ungenerated_due_date(
    today: dt.date, due_day: int, closing_day: int | None, generated: set[dt.date]
) -> dt.date:
    """The due date of the plan's next cycle whose receivable does not exist yet."""
    due = _on_day(today.year, today.month, due_day)
    for _ in range(36):
        if generation_date(due, closing_day) > today and due not in generated:
            return due
        due = _add_month(due, 1, due_day)
    raise ValueError("no ungenerated cycle in three years")  # unreachable for sane inputs


def figures(
    *,
    today: dt.date,
    due_day: int,
    new_due_day: int,
    closing_day: int | None,
    monthly_price: Decimal,
    generated: set[dt.date],
) -> DueDateFigures:
    """The preview of moving the plan's due day from `due_day` to `new_due_day`."""
    current = next_ungenerated_due_date(today, due_day, closing_day, generated)
    generated_on = generation_date(current, closing_day)
    # The receivable keeps its generation date: its new due date is the first `new_due_day`
    # after it, so it is never generated after it falls due.
    new = _on_day(generated_on.year, generated_on.month, new_due_day)
    if new <= generated_on:
        new = _add_month(generated_on, 1, new_due_day)
    days = (new - current).days
    amount = (monthly_price / 30 * abs(days)).quantize(CENT, rounding=ROUND_HALF_UP)
    kind = AdjustmentKind.SURCHARGE if days > 0 else AdjustmentKind.DISCOUNT
    return DueDateFigures(current, new, generated_on, days, kind, amount)


def token(plan_id: int, version: int, new_due_day: int, result: DueDateFigures) -> str:
    """A digest of everything the preview showed; the confirmation must present it unchanged.

    It needs no secret: the server recomputes the figures on confirmation and applies them only
    when their digest equals the token's, so a made-up token can never change what is applied.
    """
    text = "|".join(
        str(part)
        for part in (
            plan_id,
            version,
            new_due_day,
            result.current_due_date.isoformat(),
            result.new_due_date.isoformat(),
            result.generated_on.isoformat(),
            result.days_moved,
            result.kind.name,
            result.amount,
        )
    )
    # The version also travels in clear, so a confirmation can tell "the plan changed" first.
    return f"{version}.{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def token_version(value: str) -> int | None:
    """The plan version a token was made for, or None if it is not a token."""
    head, _, _ = value.partition(".")
    return parse_count(head)
