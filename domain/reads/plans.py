"""Reads the plan lifecycle actions need: a plan's live parts, limits, catalog look-ups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import with_polymorphic

from domain.models import (
    BillingForm,
    Contact,
    Contract,
    DueDateChange,
    InstallationAppointment,
    Plan,
    PlanOffer,
    RadiusLogin,
    Receivable,
    RegistrationRule,
    Service,
    SystemVariable,
)
from domain.models.enums import (
    AppointmentStatus,
    PaymentMethod,
    PlanStatus,
    ReceivableOrigin,
    ReceivableStatus,
    ServiceStatus,
)
from domain.rules import agenda

_ANY_SERVICE = with_polymorphic(Service, "*")


async def plan_for_update(
    session: AsyncSession, plan_id: int, *, lock: bool = False
) -> Plan | None:
    """The plan, read afresh from the database (its version is what a write will check);
    with `lock`, its row is locked until the transaction ends (PostgreSQL; SQLite has one
    writer at a time anyway)."""
    statement = select(Plan).where(Plan.id == plan_id).execution_options(populate_existing=True)
    if lock:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).one_or_none()


async def live_services(session: AsyncSession, plan_id: int) -> list[Service]:
    """The plan's services that are not ended yet, each as its kind's class."""
    statement = (
        select(_ANY_SERVICE)
        .where(
            _ANY_SERVICE.plan_id == plan_id,
            _ANY_SERVICE.status.in_([ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED]),
        )
        .order_by(_ANY_SERVICE.id)
    )
    return list(await session.scalars(statement))


async def unbilled_installments(
    session: AsyncSession, extra_service_ids: Sequence[int]
) -> list[Receivable]:
    """Open installments of these extra services that no boleto or invoice carried yet."""
    if not extra_service_ids:
        return []
    statement = select(Receivable).where(
        Receivable.extra_service_id.in_(list(extra_service_ids)),
        Receivable.billed_at.is_(None),
        Receivable.status == ReceivableStatus.OPEN,
    )
    return list(await session.scalars(statement))


async def installation_fee_receivables(session: AsyncSession, plan_id: int) -> list[Receivable]:
    """The receivables the plan's contract made of its installation fee, by installment."""
    statement = (
        select(Receivable)
        .where(
            Receivable.plan_id == plan_id,
            Receivable.origin == ReceivableOrigin.INSTALLATION_FEE,
        )
        .order_by(Receivable.installment_number, Receivable.id)
    )
    return list(await session.scalars(statement))


async def scheduled_appointments(
    session: AsyncSession, plan_id: int
) -> list[InstallationAppointment]:
    statement = select(InstallationAppointment).where(
        InstallationAppointment.plan_id == plan_id,
        InstallationAppointment.status == AppointmentStatus.SCHEDULED,
    )
    return list(await session.scalars(statement))


async def overlapping_appointment(
    session: AsyncSession,
    *,
    technician_id: int,
    date: dt.date,
    start: dt.time,
    end: dt.time,
) -> InstallationAppointment | None:
    """A scheduled appointment of the technician on `date` whose slot overlaps [start, end),
    by the agenda's one overlap rule (domain.rules.agenda.overlaps)."""
    for row in await scheduled_on(session, date=date, technician_ids=[technician_id]):
        if agenda.overlaps((row.start_time, row.end_time), (start, end)):
            return row
    return None


async def scheduled_on(
    session: AsyncSession,
    *,
    date: dt.date,
    technician_ids: Sequence[int] = (),
    role_id: int | None = None,
) -> list[InstallationAppointment]:
    """Scheduled appointments on `date` of the technicians, and (with `role_id`) those booked
    for the role without a technician, by start time."""
    a = InstallationAppointment
    who = [a.technician_id.in_(list(technician_ids))]
    if role_id is not None:
        who.append(and_(a.role_id == role_id, a.technician_id.is_(None)))
    statement = (
        select(a)
        .where(a.date == date, a.status == AppointmentStatus.SCHEDULED, or_(*who))
        .order_by(a.start_time, a.id)
    )
    return list(await session.scalars(statement))


async def appointments_between(
    session: AsyncSession,
    *,
    start: dt.date,
    end: dt.date,
    technician_ids: Sequence[int] = (),
    role_ids: Sequence[int] = (),
) -> list[InstallationAppointment]:
    """Appointments dated from `start` to `end` (inclusive) of the technicians or for the
    roles, by date and start time."""
    a = InstallationAppointment
    statement = (
        select(a)
        .where(
            a.date >= start,
            a.date <= end,
            or_(a.technician_id.in_(list(technician_ids)), a.role_id.in_(list(role_ids))),
        )
        .order_by(a.date, a.start_time, a.id)
    )
    return list(await session.scalars(statement))


async def oldest_overdue_due_date(
    session: AsyncSession, plan_id: int, today: dt.date
) -> dt.date | None:
    """The due date of the plan's oldest open receivable that is past due, if any."""
    statement = select(func.min(Receivable.due_date)).where(
        Receivable.plan_id == plan_id,
        Receivable.status == ReceivableStatus.OPEN,
        Receivable.due_date < today,
    )
    return await session.scalar(statement)


async def customer_has_overdue(session: AsyncSession, customer_id: int, today: dt.date) -> bool:
    statement = select(
        exists().where(
            Receivable.customer_id == customer_id,
            Receivable.status == ReceivableStatus.OPEN,
            Receivable.due_date < today,
        )
    )
    return bool(await session.scalar(statement))


async def generated_cycle_due_dates(
    session: AsyncSession, plan_id: int, since: dt.date
) -> set[dt.date]:
    """Due dates of the plan's cycle receivables from `since` on (generated already)."""
    cycles = select(Receivable.due_date).where(
        Receivable.plan_id == plan_id,
        Receivable.origin == ReceivableOrigin.PLAN_CYCLE,
        Receivable.due_date >= since,
    )
    return set(await session.scalars(cycles))


async def pending_due_date_change(
    session: AsyncSession, plan_id: int, today: dt.date
) -> DueDateChange | None:
    """A confirmed change whose figures still wait for the billing run: not applied yet, with
    an amount to apply, and its new due date not past (a plan not billed then, suspended say,
    lets the figures lapse rather than block every later change)."""
    statement = (
        select(DueDateChange)
        .where(
            DueDateChange.plan_id == plan_id,
            DueDateChange.receivable_id.is_(None),
            DueDateChange.amount > 0,
            DueDateChange.new_due_date >= today,
        )
        .order_by(DueDateChange.id.desc())
        .limit(1)
    )
    return (await session.scalars(statement)).first()


async def system_variable(session: AsyncSession, key: str) -> str | None:
    return await session.scalar(select(SystemVariable.value).where(SystemVariable.key == key))


async def default_billing_form(session: AsyncSession, method: PaymentMethod) -> BillingForm | None:
    statement = (
        select(BillingForm)
        .where(BillingForm.payment_method == method)
        .order_by(BillingForm.id)
        .limit(1)
    )
    return (await session.scalars(statement)).first()


async def contract_number_owner(session: AsyncSession, number: str) -> int | None:
    """The plan whose contract has this number, if any."""
    return await session.scalar(select(Contract.plan_id).where(Contract.number == number))


async def contract_of_plan(session: AsyncSession, plan_id: int) -> Contract | None:
    return (await session.scalars(select(Contract).where(Contract.plan_id == plan_id))).first()


async def radius_login_taken(session: AsyncSession, login: str) -> bool:
    return bool(await session.scalar(select(exists().where(RadiusLogin.login == login))))


async def active_registration_rules(session: AsyncSession) -> list[RegistrationRule]:
    statement = (
        select(RegistrationRule)
        .where(RegistrationRule.active.is_(True))
        .order_by(RegistrationRule.id)
    )
    return list(await session.scalars(statement))


async def contact_count(session: AsyncSession, customer_id: int) -> int:
    statement = select(func.count()).select_from(Contact).where(Contact.customer_id == customer_id)
    return int(await session.scalar(statement) or 0)


async def plans_due_on(session: AsyncSession, due_date: dt.date) -> list[tuple[Plan, Decimal]]:
    """Active plans whose cycle falls due on `due_date`, with their offer's monthly price.

    A confirmed due-date change moves the plan's day at once, but its cycles keep the old day
    until the change's current due date, and the new day starts on its new due date (ADR 0040):
    between the two, the plan is due on neither.
    """
    unapplied = select(DueDateChange.id).where(
        DueDateChange.plan_id == Plan.id, DueDateChange.receivable_id.is_(None)
    )
    on_new_day = and_(
        Plan.due_day == due_date.day,
        ~exists(unapplied.where(DueDateChange.new_due_date > due_date)),
    )
    still_on_old_day = exists(
        unapplied.where(
            DueDateChange.from_due_day == due_date.day,
            DueDateChange.current_due_date > due_date,
        )
    )
    statement = (
        select(Plan, PlanOffer.price)
        .join(PlanOffer, PlanOffer.id == Plan.offer_id)
        .where(Plan.status == PlanStatus.ACTIVE, on_new_day | still_on_old_day)
        .order_by(Plan.id)
    )
    return [(row[0], row[1]) for row in await session.execute(statement)]


async def plans_with_cycle_on(
    session: AsyncSession, due_date: dt.date, plan_ids: Sequence[int]
) -> set[int]:
    """Which of the plans already have their cycle receivable due on `due_date`."""
    if not plan_ids:
        return set()
    statement = select(Receivable.plan_id).where(
        Receivable.origin == ReceivableOrigin.PLAN_CYCLE,
        Receivable.due_date == due_date,
        Receivable.plan_id.in_(list(plan_ids)),
    )
    return {plan_id for plan_id in await session.scalars(statement) if plan_id is not None}


async def due_date_changes_waiting_for(
    session: AsyncSession, due_date: dt.date, plan_ids: Sequence[int]
) -> dict[int, DueDateChange]:
    """The confirmed, not yet applied due-date changes whose figures go on the plans'
    receivable due on `due_date`, by plan."""
    if not plan_ids:
        return {}
    statement = (
        select(DueDateChange)
        .where(
            DueDateChange.receivable_id.is_(None),
            DueDateChange.new_due_date == due_date,
            DueDateChange.plan_id.in_(list(plan_ids)),
        )
        .order_by(DueDateChange.id)
    )
    return {change.plan_id: change for change in await session.scalars(statement)}
