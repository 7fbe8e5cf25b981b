"""Extra services (serviço extra): the start date a catalog rule gives, and the installments.

Pure functions of dates and amounts; the action that adds an extra service turns the schedule
into receivables.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from domain.i18n import _
from domain.models.enums import BillingType, StartDateRule

CENT = Decimal("0.01")
MAX_INSTALLMENTS = 60


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by `months`, on the same day of the month or that month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_due_date(today: dt.date, due_day: int) -> dt.date:
    """The plan's next due date on or after `today` (its due day is 1-28)."""
    candidate = today.replace(day=due_day)
    return candidate if candidate >= today else add_months(candidate, 1)


def start_date(rule: StartDateRule, *, today: dt.date, due_day: int) -> dt.date:
    """The start date the catalog entry's rule gives an extra service added `today`."""
    if rule is StartDateRule.TODAY:
        return today
    if rule is StartDateRule.NEXT_DUE_DATE:
        return next_due_date(today, due_day)
    if rule is StartDateRule.FIRST_DAY_NEXT_MONTH:
        return add_months(today.replace(day=1), 1)
    raise ValueError(f"unknown start date rule {rule}")


@dataclass(frozen=True)
class Installment:
    """One charge of an extra service: its number (1-based), amount and due date."""

    number: int
    amount: Decimal
    due_date: dt.date


def installments(
    *, value: Decimal, billing_type: BillingType, count: int, first_due_date: dt.date
) -> list[Installment]:
    """The charges of an extra service, one a month from `first_due_date`.

    - ONE_TIME: `value` once (`count` must be 1);
    - INSTALLMENTS: `value` is the total, split into `count` charges; the cents that do not
      divide evenly go on the first charge, so the charges add up to the value exactly;
    - MONTHLY: `value` is charged every month, `count` times.
    A zero value charges nothing. ValueError says why the figures do not make a schedule.
    """
    if not 1 <= count <= MAX_INSTALLMENTS:
        raise ValueError(
            _(
                "installments must be between 1 and {max_installments}",
                max_installments=MAX_INSTALLMENTS,
            )
        )
    if value < 0:
        raise ValueError(_("value must not be negative"))
    if value != value.quantize(CENT):
        raise ValueError(_("value must have at most two decimal places"))
    if billing_type is BillingType.ONE_TIME and count != 1:
        raise ValueError(_("a one-time extra service has exactly one installment"))
    if value == 0:
        return []
    if billing_type is BillingType.INSTALLMENTS:
        share = (value / count).quantize(CENT, rounding=ROUND_DOWN)
        if share == 0:
            raise ValueError(
                _(
                    "{value} cannot be split into {count} installments of a cent or more",
                    value=value,
                    count=count,
                )
            )
        amounts = [share] * count
        amounts[0] += value - share * count
    else:
        amounts = [value] * count
    return [
        Installment(number, amount, add_months(first_due_date, number - 1))
        for number, amount in enumerate(amounts, start=1)
    ]
