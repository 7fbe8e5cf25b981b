"""Plan actions about money and debt: due-date change (preview, confirm), temporary speed
restoration and temporary enablement (manual 000; DOMAIN.md §3; ADR 0040)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions import audit
from domain.actions.plan_common import (
    ensure_not_cancelled,
    load_plan,
    now,
    require,
    require_for_plan,
    snapshot,
)
from domain.errors import Conflict, InvalidTransition, RuleViolation, ValidationFailed
from domain.i18n import Message, _
from domain.identity import Identity, Permission
from domain.models import BillingForm, DueDateChange, Plan, PlanOffer
from domain.models.enums import InactiveReason, PlanStatus, SpeedState
from domain.reads import plans as reads
from domain.rules import due_date, restoration
from domain.rules.plan_status import state_name

RESTORATION_DAYS = "temporary_speed_restoration_days"
ENABLEMENT_DAYS = "temporary_enablement_days"


# ---- due date ----


@dataclass(frozen=True)
class DueDatePreview:
    """The figures of a due-date change and the token that confirms exactly them."""

    plan: Plan
    new_due_day: int
    figures: due_date.DueDateFigures
    token: str


async def _refuse_pending(session: AsyncSession, plan: Plan, today: dt.date) -> None:
    pending = await reads.pending_due_date_change(session, plan.id, today)
    if pending is not None:
        raise RuleViolation(
            "DUE_DATE_CHANGE_PENDING",
            _(
                "The due date already changed on {created_at:%Y-%m-%d}; its figures wait for the "
                "receivable due on {new_due_date:%Y-%m-%d} to be generated.",
                created_at=pending.created_at,
                new_due_date=pending.new_due_date,
            ),
            next_allowed_at=dt.datetime.combine(pending.new_due_date, dt.time(), tzinfo=dt.UTC),
        )


async def _preview(
    session: AsyncSession, plan: Plan, new_due_day: int, today: dt.date
) -> DueDatePreview:
    if not 1 <= new_due_day <= 28:
        raise ValidationFailed.one("newDueDay", _("must be a day from 1 to 28"))
    if new_due_day == plan.due_day:
        raise ValidationFailed.one("newDueDay", _("is already the plan's due day"))
    ensure_not_cancelled(plan)
    offer = await session.get(PlanOffer, plan.offer_id)
    assert offer is not None  # a foreign key guarantees it
    form = await session.get(BillingForm, plan.billing_form_id) if plan.billing_form_id else None
    generated = await reads.generated_cycle_due_dates(session, plan.id, today)
    result = due_date.figures(
        today=today,
        due_day=plan.due_day,
        new_due_day=new_due_day,
        closing_day=form.closing_day if form is not None else None,
        monthly_price=offer.price,
        generated=generated,
    )
    return DueDatePreview(
        plan=plan,
        new_due_day=new_due_day,
        figures=result,
        token=due_date.token(plan.id, plan.version, new_due_day, result),
    )


async def preview_due_date_change(
    session: AsyncSession,
    *,
    plan_id: int,
    new_due_day: int,
    actor: Identity,
    today: dt.date | None = None,
) -> DueDatePreview:
    """What changing the due day would do; changes nothing."""
    require(actor, Permission.BILLING)
    plan = await load_plan(session, plan_id)
    today = today or now().date()
    preview = await _preview(session, plan, new_due_day, today)
    await _refuse_pending(session, plan, today)
    return preview


async def change_due_date(
    session: AsyncSession,
    *,
    plan_id: int,
    new_due_day: int,
    token: str,
    actor: Identity,
    today: dt.date | None = None,
) -> tuple[Plan, DueDateChange]:
    """Applies exactly the previewed figures, or Conflict when anything changed since."""
    require(actor, Permission.BILLING)
    # Locked: a confirmation racing another must see the plan and its pending change as of
    # one moment, so the loser always learns that the plan changed (Conflict).
    plan = await load_plan(session, plan_id, lock=True)
    stale = Conflict(
        _("The plan or its figures changed since the preview; preview the change again.")
    )
    # Before any other check: whatever changed the plan meanwhile (a confirmed change too)
    # bumped its version, and the caller must see that, not a consequence of it.
    if due_date.token_version(token) != plan.version:
        raise stale
    today = today or now().date()
    preview = await _preview(session, plan, new_due_day, today)
    if preview.token != token:
        raise stale
    await _refuse_pending(session, plan, today)
    before = snapshot(plan, "due_day")
    figures = preview.figures
    change = DueDateChange(
        plan_id=plan.id,
        from_due_day=plan.due_day,
        to_due_day=new_due_day,
        current_due_date=figures.current_due_date,
        new_due_date=figures.new_due_date,
        days_moved=figures.days_moved,
        kind=figures.kind,
        amount=figures.amount,
        actor=actor.subject,
    )
    session.add(change)
    plan.due_day = new_due_day
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="changeDueDate",
        target_type="Plan",
        target_id=plan.id,
        before=before,
        after={
            "due_day": new_due_day,
            **snapshot(change, "current_due_date", "new_due_date", "days_moved", "kind", "amount"),
        },
    )
    return plan, change


# ---- temporary speed restoration and enablement ----


async def _setting_days(session: AsyncSession, key: str) -> int:
    raw = await reads.system_variable(session, key)
    try:
        days = int(raw or "")
    except ValueError:
        days = 0
    if days <= 0:
        raise RuleViolation(
            "SYSTEM_SETTING",
            _(
                "The system variable {key} must be a number of days; it is {raw!r}.",
                key=key,
                raw=raw,
            ),
        )
    return days


async def _check_limits(
    session: AsyncSession,
    plan: Plan,
    *,
    what: Message,
    last_at: dt.datetime | None,
    at: dt.datetime,
) -> None:
    form = await session.get(BillingForm, plan.billing_form_id) if plan.billing_form_id else None
    if form is None:
        raise RuleViolation(
            "BILLING_FORM_REQUIRED",
            _("The plan has no billing form, so the limits of a {what} are unknown.", what=what),
        )
    refusal = restoration.check_limits(
        what=what,
        now=at,
        last_at=last_at,
        min_interval_days=form.restoration_min_interval_days,
        oldest_overdue=await reads.oldest_overdue_due_date(session, plan.id, at.date()),
        max_days_overdue=form.restoration_max_days_overdue,
    )
    if refusal is not None:
        raise RuleViolation(refusal.rule, refusal.message, next_allowed_at=refusal.next_allowed_at)


RESTORATION_FIELDS = ("speed_state", "speed_restored_until", "last_speed_restoration_at")


async def restore_temporary_speed(
    session: AsyncSession, *, plan_id: int, actor: Identity, at: dt.datetime | None = None
) -> Plan:
    """Gives a plan whose speed was reduced its full speed back for N days (a system setting),
    within the offer's permission and the billing form's limits."""
    require(actor, Permission.PLAN_ADMIN)
    at = at or now()
    plan = await load_plan(session, plan_id)
    ensure_not_cancelled(plan)
    offer = await session.get(PlanOffer, plan.offer_id)
    assert offer is not None
    if not offer.allows_speed_restoration:
        raise RuleViolation(
            "OFFER_DISALLOWS_RESTORATION",
            _(
                "The offer {offer_name} does not allow a temporary speed restoration.",
                offer_name=offer.name,
            ),
        )
    state = restoration.speed_state(plan.speed_state, plan.speed_restored_until, at)
    if state is not SpeedState.REDUCED:
        raise InvalidTransition("PlanSpeed", state.name, SpeedState.TEMPORARILY_RESTORED.name)
    await _check_limits(
        session,
        plan,
        what=_("temporary speed restoration"),
        last_at=plan.last_speed_restoration_at,
        at=at,
    )
    days = await _setting_days(session, RESTORATION_DAYS)
    before = snapshot(plan, *RESTORATION_FIELDS)
    plan.speed_state = SpeedState.TEMPORARILY_RESTORED
    plan.speed_restored_until = at + dt.timedelta(days=days)
    plan.last_speed_restoration_at = at
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="restoreTemporarySpeed",
        target_type="Plan",
        target_id=plan.id,
        before=before,
        after=snapshot(plan, *RESTORATION_FIELDS),
    )
    return plan


ENABLEMENT_FIELDS = ("status", "inactive_reason", "enabled_until", "last_enabled_at")


async def enable_temporarily(
    session: AsyncSession, *, plan_id: int, actor: Identity, at: dt.datetime | None = None
) -> Plan:
    """Enables a plan suspended for debt for N days (a system setting), within the billing
    form's limits; staff or the plan's own subscriber may ask. The plan stays suspended in its
    status (billing still sees the debt); `enabled_until` says until when it works."""
    at = at or now()
    plan = await load_plan(session, plan_id)
    require_for_plan(actor, plan, Permission.PLAN_ADMIN)
    suspended = plan.status is PlanStatus.INACTIVE
    if not suspended or plan.inactive_reason is not InactiveReason.SUSPENDED:
        raise InvalidTransition(
            "Plan", state_name(plan.status, plan.inactive_reason), "TEMPORARILY_ENABLED"
        )
    if plan.enabled_until is not None and plan.enabled_until > at:
        raise RuleViolation(
            "ALREADY_ENABLED",
            _(
                "The plan is already enabled until {enabled_until:%Y-%m-%d %H:%M} UTC.",
                enabled_until=plan.enabled_until,
            ),
            next_allowed_at=plan.enabled_until,
        )
    await _check_limits(
        session, plan, what=_("temporary enablement"), last_at=plan.last_enabled_at, at=at
    )
    days = await _setting_days(session, ENABLEMENT_DAYS)
    before = snapshot(plan, *ENABLEMENT_FIELDS)
    plan.enabled_until = at + dt.timedelta(days=days)
    plan.last_enabled_at = at
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="enableTemporarily",
        target_type="Plan",
        target_id=plan.id,
        before=before,
        after=snapshot(plan, *ENABLEMENT_FIELDS),
    )
    return plan
