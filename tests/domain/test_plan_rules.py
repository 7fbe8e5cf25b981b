"""The plan lifecycle's pure rules: status transitions, due-date figures, restoration limits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from domain.models.enums import DueDateAdjustmentKind, InactiveReason, PlanStatus
from domain.rules import due_date, restoration
from domain.rules.plan_status import state_name, transition_allowed

A, IN, C = PlanStatus.ACTIVE, PlanStatus.INACTIVE, PlanStatus.CANCELLED
S, R = InactiveReason.SUSPENDED, InactiveReason.CUSTOMER_REQUEST


@pytest.mark.parametrize(
    ("current", "reason", "target", "target_reason", "allowed"),
    [
        (A, None, IN, S, True),
        (IN, S, A, None, True),
        (IN, S, IN, R, True),
        (IN, S, IN, S, False),
        (A, None, A, None, False),
        (A, None, C, None, True),
        (IN, R, C, None, True),
        (C, None, A, None, False),
        (C, None, IN, S, False),
        (C, None, C, None, False),
    ],
)
def test_transitions(
    current: PlanStatus,
    reason: InactiveReason | None,
    target: PlanStatus,
    target_reason: InactiveReason | None,
    allowed: bool,
) -> None:
    assert transition_allowed(current, reason, target, target_reason) is allowed


def test_state_names() -> None:
    assert state_name(IN, S) == "INACTIVE (SUSPENDED)"
    assert state_name(C, None) == "CANCELLED"


TODAY = dt.date(2026, 11, 23)
PRICE = Decimal("89.90")


def _figures(due_day: int, new_day: int, closing: int | None, generated=frozenset()):  # type: ignore[no-untyped-def]
    return due_date.figures(
        today=TODAY,
        due_day=due_day,
        new_due_day=new_day,
        closing_day=closing,
        monthly_price=PRICE,
        generated=set(generated),
    )


def test_generation_date_is_the_last_closing_day_before_the_due_date() -> None:
    assert due_date.generation_date(dt.date(2026, 12, 25), 20) == dt.date(2026, 12, 20)
    assert due_date.generation_date(dt.date(2026, 12, 10), 20) == dt.date(2026, 11, 20)
    assert due_date.generation_date(dt.date(2026, 12, 20), 20) == dt.date(2026, 11, 20)
    assert due_date.generation_date(dt.date(2026, 12, 10), None) == dt.date(2026, 11, 30)


def test_the_closing_day_decides_which_receivable() -> None:
    # Due on the 25th, closing on the 20th: November's was generated on Nov 20 (before today),
    # so the change applies to December's, generated Dec 20; the 5th after it is Jan 5.
    later = _figures(25, 5, 20)
    assert (later.current_due_date, later.new_due_date) == (
        dt.date(2026, 12, 25),
        dt.date(2027, 1, 5),
    )
    assert later.generated_on == dt.date(2026, 12, 20)
    assert later.days_moved == 11 and later.kind is DueDateAdjustmentKind.SURCHARGE
    assert later.amount == (PRICE / 30 * 11).quantize(Decimal("0.01"))
    assert later.amount == Decimal("32.96")

    earlier = _figures(25, 22, 20)
    assert earlier.new_due_date == dt.date(2026, 12, 22)
    assert earlier.days_moved == -3 and earlier.kind is DueDateAdjustmentKind.DISCOUNT
    assert earlier.amount == Decimal("8.99")

    # Due on the 10th, closing on the 20th: December's was generated on Nov 20.
    january = _figures(10, 15, 20)
    assert (january.current_due_date, january.new_due_date) == (
        dt.date(2027, 1, 10),
        dt.date(2027, 1, 15),
    )
    assert january.days_moved == 5


def test_an_existing_receivable_is_skipped_and_no_billing_form_uses_ten_days() -> None:
    skipped = _figures(10, 15, 20, {dt.date(2027, 1, 10)})
    assert skipped.current_due_date == dt.date(2027, 2, 10)
    no_form = _figures(5, 28, None)
    # Dec 5 would be generated on Nov 25, after today: it is the next one.
    assert no_form.current_due_date == dt.date(2026, 12, 5)
    assert no_form.new_due_date == dt.date(2026, 11, 28)
    assert no_form.days_moved == -7


def test_token_covers_version_and_figures() -> None:
    figures = _figures(25, 5, 20)
    token = due_date.token(1, 3, 5, figures)
    assert token == due_date.token(1, 3, 5, figures)
    assert token != due_date.token(1, 4, 5, figures)
    assert token != due_date.token(1, 3, 5, _figures(25, 5, 15))  # generated on another day
    assert token != due_date.token(1, 3, 22, _figures(25, 22, 20))


NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def test_restoration_limits() -> None:
    def check(last_days_ago: int | None, overdue_days: int | None):  # type: ignore[no-untyped-def]
        return restoration.check_limits(
            what="restoration",
            now=NOW,
            last_at=None if last_days_ago is None else NOW - dt.timedelta(days=last_days_ago),
            min_interval_days=30,
            oldest_overdue=None
            if overdue_days is None
            else NOW.date() - dt.timedelta(days=overdue_days),
            max_days_overdue=45,
        )

    assert check(None, None) is None
    assert check(30, 45) is None
    refusal = check(10, None)
    assert refusal is not None and refusal.rule == "MIN_INTERVAL"
    assert refusal.next_allowed_at == NOW + dt.timedelta(days=20)
    assert "2026-12-13 12:00" in str(refusal.message)
    refusal = check(None, 46)
    assert refusal is not None and refusal.rule == "MAX_DAYS_OVERDUE"
    assert refusal.next_allowed_at is None and "46 days ago" in str(refusal.message)
