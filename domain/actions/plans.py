"""Plan lifecycle actions (manual 001 §5.4; DOMAIN.md §1, §3): status, cancellation, address
transfer, contract, bank-debit authorization, installation scheduling.

Every action takes the session first and keyword-only arguments, raises domain.errors types,
writes its audit row and never commits (ADR 0005).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions import audit
from domain.actions.plan_common import (
    AddressChoice,
    NewContact,
    check_address_choice,
    check_contact_id,
    check_new_contact,
    ensure_not_cancelled,
    load_plan,
    load_plan_copy,
    materialize_address,
    now,
    require,
    save_plan,
    snapshot,
    touch,
)
from domain.actions.tv import end_plan_tv
from domain.errors import FieldProblem, InvalidTransition, RuleViolation, ValidationFailed
from domain.i18n import _
from domain.identity import Identity, Permission
from domain.models import (
    Bank,
    Contact,
    Contract,
    ContractTemplate,
    ExtraService,
    InstallationAppointment,
    IpAssignment,
    Plan,
    PlanAddressHistory,
    Receivable,
    Role,
    Service,
    Technician,
    TvPoint,
)
from domain.models.enums import (
    AddressRole,
    AntivirusStatus,
    AppointmentStatus,
    BillingType,
    InactiveReason,
    PaymentMethod,
    PlanStatus,
    ReceivableOrigin,
    ReceivableStatus,
    ServiceKind,
    ServiceStatus,
    SpeedState,
)
from domain.ports.cep import CepLookup
from domain.reads import plans as reads
from domain.rules import extra_services as schedule
from domain.rules.plan_status import state_name, transition_allowed

PLAN_FIELDS = (
    "status",
    "inactive_reason",
    "speed_state",
    "due_day",
    "payment_method",
    "installation_address_id",
    "billing_address_id",
    "cancel_reason",
)
# Services that end as CANCELLED when their plan is cancelled; every other kind is DISABLED.
CANCELLED_KINDS = frozenset({ServiceKind.EXTRA_SERVICE, ServiceKind.ANTIVIRUS})
MAX_REASON = 500
MAX_NOTES = 2000  # an appointment's notes for the technician


# ---- status ----

# What a change of status may write (`_apply_status`).
STATUS_COLUMNS = (
    "status",
    "inactive_reason",
    "speed_state",
    "speed_restored_until",
    "enabled_until",
)


def _apply_status(plan: Plan, status: PlanStatus, reason: InactiveReason | None) -> None:
    plan.status, plan.inactive_reason = status, reason
    if status is PlanStatus.ACTIVE:
        # Back to normal: a temporary restoration or enablement has nothing left to do.
        plan.speed_state = SpeedState.NORMAL
        plan.speed_restored_until = None
        plan.enabled_until = None
    elif reason is InactiveReason.SUSPENDED:
        plan.speed_state = SpeedState.REDUCED


async def change_plan_status(
    session: AsyncSession,
    *,
    plan_id: int,
    status: PlanStatus,
    inactive_reason: InactiveReason | None = None,
    cancel_reason: str | None = None,
    actor: Identity,
) -> Plan:
    """Moves the plan to `status`; only the transitions of plan_status.ALLOWED.

    Going to CANCELLED is `cancel_plan` (it ends every service), so it needs `cancel_reason`.
    """
    require(actor, Permission.PLAN_ADMIN)
    if status is PlanStatus.INACTIVE and inactive_reason is None:
        raise ValidationFailed.one("inactiveReason", _("an inactive plan needs a reason"))
    if status is not PlanStatus.INACTIVE and inactive_reason is not None:
        raise ValidationFailed.one("inactiveReason", _("only an inactive plan has a reason"))
    if status is PlanStatus.CANCELLED:
        return (
            await cancel_plan(session, plan_id=plan_id, reason=cancel_reason or "", actor=actor)
        ).plan
    # A copy the session does not track, written with one versioned UPDATE (ADR 0251).
    plan = await load_plan_copy(session, plan_id)
    if not transition_allowed(plan.status, plan.inactive_reason, status, inactive_reason):
        raise InvalidTransition(
            "Plan",
            state_name(plan.status, plan.inactive_reason),
            state_name(status, inactive_reason),
        )
    before = snapshot(plan, *PLAN_FIELDS)
    _apply_status(plan, status, inactive_reason)
    await save_plan(session, plan, *STATUS_COLUMNS)
    await audit.record(
        session,
        actor=actor,
        action="changePlanStatus",
        target_type="Plan",
        target_id=plan.id,
        before=before,
        after=snapshot(plan, *PLAN_FIELDS),
    )
    return plan


# ---- cancellation ----


@dataclass
class Cancellation:
    """A cancelled plan and everything its cancellation ended."""

    plan: Plan
    ended_services: list[Service] = field(default_factory=list)
    removed_tv_points: list[TvPoint] = field(default_factory=list)
    dropped_installments: int = 0
    ended_tv_packages: int = 0
    cancelled_appointments: int = 0


async def cancel_plan(
    session: AsyncSession, *, plan_id: int, reason: str, actor: Identity
) -> Cancellation:
    """Cancels the plan and ends everything on it in the same transaction.

    Logins, e-mails and every other service are disabled (an IP goes back to its pool); extra
    services and antivirus licences are cancelled, and the extra services' installments not
    billed yet are dropped; TV points are removed (with a history row) and TV packages end,
    each with its message for the TV platform (domain.actions.tv.end_plan_tv); scheduled
    installations are cancelled. CANCELLED is final.
    """
    require(actor, Permission.PLAN_ADMIN)
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationFailed.one(
            "reason", _("must be 1 to {max_reason} characters", max_reason=MAX_REASON)
        )
    plan = await load_plan(session, plan_id)
    if plan.status is PlanStatus.CANCELLED:
        raise InvalidTransition("Plan", PlanStatus.CANCELLED.name, PlanStatus.CANCELLED.name)
    before = snapshot(plan, *PLAN_FIELDS)
    at = now()
    result = Cancellation(plan=plan)

    services = await reads.live_services(session, plan.id)
    for service in services:
        service.status = (
            ServiceStatus.CANCELLED if service.kind in CANCELLED_KINDS else ServiceStatus.DISABLED
        )
        service.ended_at = at
        if isinstance(service, IpAssignment) and service.released_at is None:
            service.released_at = at
        if service.kind is ServiceKind.ANTIVIRUS:
            service.license_status = AntivirusStatus.DELETED  # type: ignore[attr-defined]
    result.ended_services = services
    extra_ids = [s.id for s in services if isinstance(s, ExtraService)]
    for receivable in await reads.unbilled_installments(session, extra_ids):
        await session.delete(receivable)
        result.dropped_installments += 1

    # The one path that ends TV everywhere: our rows, and the platform through the outbox.
    ended_packages, removed_points = await end_plan_tv(
        session, plan=plan, actor=actor, detail=f"Plano cancelado: {reason}", at=at
    )
    result.removed_tv_points = removed_points
    result.ended_tv_packages = len(ended_packages)
    for appointment in await reads.scheduled_appointments(session, plan.id):
        appointment.status = AppointmentStatus.CANCELLED
        result.cancelled_appointments += 1

    plan.status, plan.inactive_reason = PlanStatus.CANCELLED, None
    plan.cancelled_at, plan.cancel_reason = at, reason
    plan.speed_restored_until = plan.enabled_until = None
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="cancelPlan",
        target_type="Plan",
        target_id=plan.id,
        before=before,
        after={
            **snapshot(plan, *PLAN_FIELDS),
            "ended_service_ids": [s.id for s in services],
            "removed_tv_point_ids": [p.id for p in result.removed_tv_points],
            "dropped_installments": result.dropped_installments,
            "ended_tv_packages": result.ended_tv_packages,
            "cancelled_appointments": result.cancelled_appointments,
        },
    )
    return result


# ---- address transfer ----


async def transfer_address(
    session: AsyncSession,
    *,
    plan_id: int,
    address: AddressChoice,
    role: AddressRole = AddressRole.INSTALLATION,
    cep_lookup: CepLookup | None,
    actor: Identity,
) -> Plan:
    """Moves the plan's installation (or billing) address to a new or existing one; the old
    one stays in the plan's address history with the time it stopped being valid."""
    require(actor, Permission.PLAN_ADMIN)
    plan = await load_plan(session, plan_id)
    ensure_not_cancelled(plan)
    problems: list[FieldProblem] = []
    checked = await check_address_choice(
        session,
        address,
        customer_id=plan.customer_id,
        path=("address",),
        cep_lookup=cep_lookup,
        problems=problems,
    )
    if problems or checked is None:
        raise ValidationFailed(problems)
    column = "installation_address_id" if role is AddressRole.INSTALLATION else "billing_address_id"
    current_id = getattr(plan, column)
    if getattr(checked, "id", None) == current_id:
        raise ValidationFailed.one("address.addressId", _("is already the plan's address"))
    before = snapshot(plan, *PLAN_FIELDS)
    target = await materialize_address(session, plan.customer_id, checked)
    at = now()
    for row in await _open_history(session, plan.id, role):
        row.valid_to = at
    session.add(PlanAddressHistory(plan_id=plan.id, address_id=target.id, role=role, valid_from=at))
    setattr(plan, column, target.id)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="transferAddress",
        target_type="Plan",
        target_id=plan.id,
        before=before,
        after=snapshot(plan, *PLAN_FIELDS),
    )
    return plan


async def _open_history(
    session: AsyncSession, plan_id: int, role: AddressRole
) -> list[PlanAddressHistory]:
    statement = select(PlanAddressHistory).where(
        PlanAddressHistory.plan_id == plan_id,
        PlanAddressHistory.role == role,
        PlanAddressHistory.valid_to.is_(None),
    )
    return list(await session.scalars(statement))


# ---- contract ----


@dataclass(frozen=True)
class ContractInput:
    number: str
    sale_date: dt.date
    installation_fee: Decimal
    installation_installments: int
    validity_months: int
    template_id: int | None


async def check_contract(
    session: AsyncSession,
    contract: ContractInput,
    *,
    plan_id: int | None,
    today: dt.date,
    path: tuple[str, ...],
    problems: list[FieldProblem],
) -> None:
    """Appends what is wrong with the contract details (the number is unique across plans)."""
    number = contract.number.strip()
    if not number or len(number) > 40:
        problems.append(FieldProblem((*path, "number"), _("must be 1 to 40 characters")))
    else:
        owner = await reads.contract_number_owner(session, number)
        if owner is not None and owner != plan_id:
            problems.append(FieldProblem((*path, "number"), _("is another plan's contract number")))
    if contract.sale_date > today:
        problems.append(FieldProblem((*path, "saleDate"), _("cannot be in the future")))
    fee = contract.installation_fee
    fee_ok = fee.is_finite() and 0 <= fee < 10**10 and fee == fee.quantize(Decimal("0.01"))
    if not fee_ok:
        problems.append(
            FieldProblem((*path, "installationFee"), _("must be an amount of at least 0.00"))
        )
    if not 1 <= contract.installation_installments <= 24:
        problems.append(FieldProblem((*path, "installationInstallments"), _("must be 1 to 24")))
    elif fee_ok and 0 < fee < contract.installation_installments * schedule.CENT:
        problems.append(
            FieldProblem(
                (*path, "installationInstallments"),
                _(
                    "an installation fee of {fee} cannot be split into "
                    "{installation_installments} installments of a cent or more",
                    fee=fee,
                    installation_installments=contract.installation_installments,
                ),
            )
        )
    if not 1 <= contract.validity_months <= 120:
        problems.append(FieldProblem((*path, "validityMonths"), _("must be 1 to 120 months")))
    if contract.template_id is not None:
        template = await session.get(ContractTemplate, contract.template_id)
        if template is None or not template.active:
            problems.append(FieldProblem((*path, "templateId"), _("is not an active template")))


def _contract_values(contract: ContractInput) -> dict[str, object]:
    return {
        "number": contract.number.strip(),
        "sale_date": contract.sale_date,
        "installation_fee": contract.installation_fee,
        "installation_installments": contract.installation_installments,
        "validity_months": contract.validity_months,
        "template_id": contract.template_id,
    }


CONTRACT_FIELDS = (
    "number",
    "sale_date",
    "installation_fee",
    "installation_installments",
    "validity_months",
    "template_id",
)


FEE_BILLED = "INSTALLATION_FEE_BILLED"


def installation_fee_schedule(
    contract: ContractInput, *, due_day: int, today: dt.date
) -> list[schedule.Installment]:
    """The installments of the contract's installation fee (Vl. Tx. Instalação in Parcelas):
    the fee split evenly (the odd cents on the first), one a month from the plan's next due
    date. A zero fee charges nothing."""
    return schedule.installments(
        value=contract.installation_fee,
        billing_type=BillingType.INSTALLMENTS,
        count=contract.installation_installments,
        first_due_date=schedule.next_due_date(today, due_day),
    )


async def bill_installation_fee(
    session: AsyncSession,
    plan: Plan,
    contract: ContractInput,
    *,
    previous: Contract | None,
    today: dt.date,
) -> list[Receivable]:
    """Turns the contract's installation fee into receivables, once (ADR 0101).

    A new contract bills its fee; saving it again with the same fee and installments bills
    nothing; changing them re-plans the fee while none of its receivables was billed or paid,
    and is refused (INSTALLATION_FEE_BILLED) after. The plan's version (ADR 0042) keeps two
    saves of one contract from both billing.
    """
    if previous is not None and (
        previous.installation_fee,
        previous.installation_installments,
    ) == (contract.installation_fee, contract.installation_installments):
        return []
    charges = installation_fee_schedule(contract, due_day=plan.due_day, today=today)
    existing = await reads.installation_fee_receivables(session, plan.id)
    if any(r.status is not ReceivableStatus.OPEN or r.billed_at is not None for r in existing):
        raise RuleViolation(
            FEE_BILLED,
            _(
                "The installation fee went out on a boleto or was paid already; its value and "
                "installments can no longer change."
            ),
        )
    for receivable in existing:
        await session.delete(receivable)
    receivables = [
        Receivable(
            customer_id=plan.customer_id,
            plan_id=plan.id,
            origin=ReceivableOrigin.INSTALLATION_FEE,
            description=f"Taxa de instalação {charge.number}/{len(charges)}",
            installment_number=charge.number,
            amount=charge.amount,
            due_date=charge.due_date,
            status=ReceivableStatus.OPEN,
        )
        for charge in charges
    ]
    session.add_all(receivables)
    await session.flush()
    return receivables


async def set_contract(
    session: AsyncSession, *, plan_id: int, contract: ContractInput, actor: Identity
) -> tuple[Plan, Contract]:
    """Adds the plan's service contract, or changes it (manual 001, 5.4.1.1.1.1); the
    installation fee becomes receivables once (bill_installation_fee)."""
    require(actor, Permission.PLAN_ADMIN)
    plan = await load_plan(session, plan_id)
    ensure_not_cancelled(plan)
    problems: list[FieldProblem] = []
    await check_contract(
        session,
        contract,
        plan_id=plan.id,
        today=now().date(),
        path=("contract",),
        problems=problems,
    )
    if problems:
        raise ValidationFailed(problems)
    row = await reads.contract_of_plan(session, plan.id)
    before = None if row is None else snapshot(row, *CONTRACT_FIELDS)
    fee = await bill_installation_fee(session, plan, contract, previous=row, today=now().date())
    if row is None:
        row = Contract(plan_id=plan.id, **_contract_values(contract))
        session.add(row)
    else:
        for name, value in _contract_values(contract).items():
            setattr(row, name, value)
    touch(plan)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="setContract",
        target_type="Plan",
        target_id=plan.id,
        before=before,
        after={
            **snapshot(row, *CONTRACT_FIELDS),
            "installation_fee_receivable_ids": [r.id for r in fee],
        },
    )
    return plan, row


# ---- bank debit ----

_BRANCH = re.compile(r"^[0-9]{1,5}(-[0-9Xx])?$")
_ACCOUNT = re.compile(r"^[0-9]{1,18}(-[0-9Xx])?$")


@dataclass(frozen=True)
class BankDetails:
    bank_id: int
    branch: str
    account: str


async def check_bank_details(
    session: AsyncSession,
    details: BankDetails,
    *,
    path: tuple[str, ...],
    problems: list[FieldProblem],
) -> None:
    if await session.get(Bank, details.bank_id) is None:
        problems.append(FieldProblem((*path, "bankId"), _("is not a known bank")))
    if not _BRANCH.match(details.branch.strip()):
        problems.append(FieldProblem((*path, "branch"), _("must be a branch number, e.g. 1234-5")))
    if not _ACCOUNT.match(details.account.strip()):
        problems.append(
            FieldProblem((*path, "account"), _("must be an account number, e.g. 12345-6"))
        )


async def authorize_bank_debit(
    session: AsyncSession, *, plan_id: int, details: BankDetails, actor: Identity
) -> Plan:
    """Records the customer's authorization to debit the bank account (manual 001, 5.4.1.1.4).

    The plan's payment method becomes bank debit, with the catalog's bank-debit billing form
    when its current form is for another method (ADR 0040).
    """
    require(actor, Permission.BILLING)
    plan = await load_plan(session, plan_id)
    ensure_not_cancelled(plan)
    problems: list[FieldProblem] = []
    await check_bank_details(session, details, path=(), problems=problems)
    if problems:
        raise ValidationFailed(problems)
    fields = (*PLAN_FIELDS, "bank_id", "bank_branch", "bank_account", "billing_form_id")
    before = snapshot(plan, *fields)
    plan.bank_id = details.bank_id
    plan.bank_branch, plan.bank_account = details.branch.strip(), details.account.strip()
    plan.bank_debit_authorized_at = now()
    if plan.payment_method is not PaymentMethod.BANK_DEBIT:
        plan.payment_method = PaymentMethod.BANK_DEBIT
        form = await reads.default_billing_form(session, PaymentMethod.BANK_DEBIT)
        plan.billing_form_id = form.id if form is not None else None
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="authorizeBankDebit",
        target_type="Plan",
        target_id=plan.id,
        before=before,
        after=snapshot(plan, *fields, "bank_debit_authorized_at"),
    )
    return plan


# ---- installation appointment ----


@dataclass(frozen=True)
class AppointmentInput:
    date: dt.date
    start_time: dt.time
    end_time: dt.time
    technician_id: int | None = None
    role_id: int | None = None
    contact_id: int | None = None
    new_contact: NewContact | None = None
    notes: str | None = None


async def check_appointment(
    session: AsyncSession,
    appointment: AppointmentInput,
    *,
    customer_id: int,
    today: dt.date,
    path: tuple[str, ...],
    problems: list[FieldProblem],
) -> None:
    """Appends what is wrong with the appointment's fields (the slot is checked apart)."""
    if (appointment.technician_id is None) == (appointment.role_id is None):
        problems.append(FieldProblem(path, _("give exactly one of technicianId and roleId")))
    elif appointment.technician_id is not None:
        technician = await session.get(Technician, appointment.technician_id)
        if technician is None or not technician.active:
            problems.append(FieldProblem((*path, "technicianId"), _("is not an active technician")))
    elif await session.get(Role, appointment.role_id) is None:
        problems.append(FieldProblem((*path, "roleId"), _("is not a known role")))
    if appointment.date < today:
        problems.append(FieldProblem((*path, "date"), _("cannot be in the past")))
    if appointment.start_time >= appointment.end_time:
        problems.append(FieldProblem((*path, "endTime"), _("must be after the start time")))
    if appointment.contact_id is not None and appointment.new_contact is not None:
        problems.append(FieldProblem(path, _("give at most one of contactId and newContact")))
    elif appointment.contact_id is not None:
        await check_contact_id(
            session,
            appointment.contact_id,
            customer_id=customer_id,
            path=(*path, "contactId"),
            problems=problems,
        )
    elif appointment.new_contact is not None:
        check_new_contact(appointment.new_contact, path=(*path, "newContact"), problems=problems)
    if appointment.notes is not None and len(appointment.notes) > MAX_NOTES:
        problems.append(
            FieldProblem(
                (*path, "notes"), _("must be at most {max_notes} characters", max_notes=MAX_NOTES)
            )
        )


async def check_slot_free(
    session: AsyncSession, appointment: AppointmentInput, *, lock: bool = True
) -> None:
    """Refuses a slot that overlaps another scheduled installation of the same technician."""
    if appointment.technician_id is None:
        return
    if lock:
        # On PostgreSQL the technician's row lock serializes two schedulers of one technician,
        # so both cannot see the slot free; SQLite serializes writers anyway.
        await session.execute(
            select(Technician.id)
            .where(Technician.id == appointment.technician_id)
            .with_for_update()
        )
    clash = await reads.overlapping_appointment(
        session,
        technician_id=appointment.technician_id,
        date=appointment.date,
        start=appointment.start_time,
        end=appointment.end_time,
    )
    if clash is not None:
        raise RuleViolation(
            "TECHNICIAN_SLOT_TAKEN",
            _(
                "The technician already has an installation on {date:%Y-%m-%d} from "
                "{start_time:%H:%M} to {end_time:%H:%M}; slots never overlap.",
                date=clash.date,
                start_time=clash.start_time,
                end_time=clash.end_time,
            ),
        )


async def create_appointment(
    session: AsyncSession, plan: Plan, appointment: AppointmentInput
) -> InstallationAppointment:
    contact_id = appointment.contact_id
    if appointment.new_contact is not None:
        contact = Contact(
            customer_id=plan.customer_id,
            name=appointment.new_contact.name.strip(),
            phone=appointment.new_contact.phone,
            email=appointment.new_contact.email,
            role=appointment.new_contact.role,
        )
        session.add(contact)
        await session.flush()
        contact_id = contact.id
    row = InstallationAppointment(
        plan_id=plan.id,
        technician_id=appointment.technician_id,
        role_id=appointment.role_id,
        contact_id=contact_id,
        date=appointment.date,
        start_time=appointment.start_time,
        end_time=appointment.end_time,
        status=AppointmentStatus.SCHEDULED,
        notes=appointment.notes,
    )
    session.add(row)
    await session.flush()
    return row


APPOINTMENT_FIELDS = (
    "technician_id",
    "role_id",
    "contact_id",
    "date",
    "start_time",
    "end_time",
    "status",
)


async def schedule_installation(
    session: AsyncSession, *, plan_id: int, appointment: AppointmentInput, actor: Identity
) -> tuple[Plan, InstallationAppointment]:
    """Schedules the plan's installation for a technician or a role (manual 001, §5)."""
    require(actor, Permission.PLAN_ADMIN)
    plan = await load_plan(session, plan_id)
    ensure_not_cancelled(plan)
    problems: list[FieldProblem] = []
    await check_appointment(
        session,
        appointment,
        customer_id=plan.customer_id,
        today=now().date(),
        path=("appointment",),
        problems=problems,
    )
    if problems:
        raise ValidationFailed(problems)
    await check_slot_free(session, appointment)
    row = await create_appointment(session, plan, appointment)
    touch(plan)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="scheduleInstallation",
        target_type="Plan",
        target_id=plan.id,
        before=None,
        after={"appointment_id": row.id, **snapshot(row, *APPOINTMENT_FIELDS)},
    )
    return plan, row
