"""Plan lifecycle: status, cancellation, due date, address, contract, bank debit, scheduling,
temporary speed restoration and enablement (manual 001 §5.4, manual 000; ADR 0040)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from domain import models as m
from domain.actions import plan_billing, plans
from domain.actions.plan_common import AddressChoice, NewAddress, NewContact
from domain.models import Plan
from domain.models import enums as domain_enums
from domain.ports.cep import CepUnavailable, HttpCepLookup, normalize_cep
from gateway.resolvers.ids import database_id
from gateway.resolvers.mutations import perform
from gateway.schema.base import (
    AddressRole,
    FromModel,
    InactiveReason,
    Info,
    PlanStatus,
    to_global_id,
)
from gateway.schema.errors import (
    Conflict,
    FieldError,
    InvalidTransition,
    NotAllowed,
    NotFound,
    RuleViolation,
    ValidationError,
)
from gateway.schema.plans import ContractType, InstallationAppointmentType, PlanType
from gateway.schema.relations import Computed
from gateway.schema.services import ServiceInterface, service_from_model
from gateway.schema.tv import TvPointType

DueDateAdjustmentKind = strawberry.enum(domain_enums.DueDateAdjustmentKind)


def plan_key(raw: strawberry.ID) -> int:
    """The plan's database key; -1 (no such plan) for an id that is not a plan's."""
    return database_id(raw, "Plan") or -1


def key(raw: strawberry.ID | None, *type_names: str) -> int | None:
    """A referenced row's key; -1 (refused by the action's checks) when the id is not one."""
    if raw is None:
        return None
    return database_id(raw, *type_names) or -1


def cep_lookup(info: Info) -> HttpCepLookup:
    return HttpCepLookup(info.context.settings.cep_base_url)


def contract_document_url(plan_id: int) -> str:
    """Where the plan's printable contract is served (gateway/http/documents.py)."""
    return f"/plans/{to_global_id('Plan', plan_id)}/contract.pdf"


# ---- shared inputs ----


@strawberry.input(description="An address: CEP and number at least; the CEP lookup fills the rest.")
class AddressInput:
    cep: str
    number: str
    complement: str | None = None
    street: str | None = None
    district: str | None = None
    city: str | None = None
    state: str | None = None

    def to_domain(self) -> NewAddress:
        return NewAddress(
            cep=self.cep,
            number=self.number,
            complement=self.complement,
            street=self.street,
            district=self.district,
            city=self.city,
            state=self.state,
        )


@strawberry.input(description="Give exactly one: an address of the customer, or a new one.")
class AddressChoiceInput:
    address_id: strawberry.ID | None = None
    new_address: AddressInput | None = None

    def to_domain(self) -> AddressChoice:
        return AddressChoice(
            address_id=key(self.address_id, "Address"),
            new=self.new_address.to_domain() if self.new_address else None,
        )


@strawberry.input(description="The service contract's details (contrato do serviço).")
class ContractDetailsInput:
    number: str
    sale_date: dt.date
    installation_fee: Decimal = Decimal("0.00")
    installation_installments: int = 1
    validity_months: int = 12
    template_id: strawberry.ID | None = None

    def to_domain(self) -> plans.ContractInput:
        return plans.ContractInput(
            number=self.number,
            sale_date=self.sale_date,
            installation_fee=self.installation_fee,
            installation_installments=self.installation_installments,
            validity_months=self.validity_months,
            template_id=key(self.template_id, "ContractTemplate"),
        )


@strawberry.input(description="A new contact of the customer, to follow the installation.")
class NewContactInput:
    name: str
    phone: str | None = None
    email: str | None = None
    role: str | None = None


@strawberry.input(description="An installation slot for a technician or a role (one of them).")
class AppointmentInput:
    date: dt.date
    start_time: dt.time
    end_time: dt.time
    technician_id: strawberry.ID | None = None
    role_id: strawberry.ID | None = None
    contact_id: strawberry.ID | None = None
    new_contact: NewContactInput | None = None
    notes: str | None = None

    def to_domain(self) -> plans.AppointmentInput:
        contact = self.new_contact
        return plans.AppointmentInput(
            date=self.date,
            start_time=self.start_time,
            end_time=self.end_time,
            technician_id=key(self.technician_id, "Technician"),
            role_id=key(self.role_id, "Role"),
            contact_id=key(self.contact_id, "Contact"),
            new_contact=NewContact(contact.name, contact.phone, contact.email, contact.role)
            if contact
            else None,
            notes=self.notes,
        )


# ---- payloads ----


@strawberry.type(description="The plan after the change.")
class PlanChangeSuccess:
    plan: PlanType


@strawberry.type(description="The cancelled plan and everything its cancellation ended.")
class CancelPlanSuccess:
    plan: PlanType
    ended_services: list[ServiceInterface]
    removed_tv_points: list[TvPointType]
    dropped_installments: int = strawberry.field(
        description="Extra-service installments not billed yet, dropped."
    )
    ended_tv_packages: int
    cancelled_appointments: int


def _applied(receivable_id: int | None) -> bool:
    return receivable_id is not None


DUE_DATE_CHANGE_APPLIED = Computed("DueDateChange", "applied", ("receivable_id",), _applied)


@strawberry.type(name="DueDateChange", description="A confirmed due-date change and its figures.")
class DueDateChangeType(FromModel):
    graphql_name = "DueDateChange"
    model = m.DueDateChange
    from_due_day: int
    to_due_day: int
    current_due_date: dt.date
    new_due_date: dt.date
    days_moved: int
    kind: DueDateAdjustmentKind
    amount: Decimal
    created_at: dt.datetime
    receivable_id: strawberry.Private[int | None]

    @strawberry.field(description="Whether the billing run applied it to the receivable yet.")
    def applied(self) -> bool:
        return DUE_DATE_CHANGE_APPLIED.resolve(self)


@strawberry.type(description="What changing the due day would do; confirm it with `token`.")
class DueDateChangePreview:
    plan: PlanType
    new_due_day: int
    current_due_date: dt.date = strawberry.field(
        description="Due date of the next receivable not generated yet, as it is now."
    )
    new_due_date: dt.date = strawberry.field(description="Its due date after the change.")
    generated_on: dt.date = strawberry.field(
        description="When the billing run generates it (the billing form's closing day)."
    )
    days_moved: int = strawberry.field(description="Positive: later; negative: earlier.")
    kind: DueDateAdjustmentKind
    amount: Decimal = strawberry.field(description="Monthly price / 30 per day moved.")
    token: str = strawberry.field(description="Pass it to changeDueDate to apply these figures.")


@strawberry.type
class ChangeDueDateSuccess:
    plan: PlanType
    change: DueDateChangeType


@strawberry.type
class SetContractSuccess:
    plan: PlanType
    contract: ContractType
    document_url: str = strawberry.field(description="The printable contract (PDF).")


@strawberry.type
class ScheduleInstallationSuccess:
    plan: PlanType
    appointment: InstallationAppointmentType


@strawberry.type(name="CepAddress", description="What a CEP names; number and complement by hand.")
class CepAddressType:
    cep: str
    street: str
    complement: str | None
    district: str
    city: str
    state: str


ChangePlanStatusResult = Annotated[
    PlanChangeSuccess | ValidationError | NotFound | NotAllowed | InvalidTransition | Conflict,
    strawberry.union("ChangePlanStatusResult"),
]
CancelPlanResult = Annotated[
    CancelPlanSuccess | ValidationError | NotFound | NotAllowed | InvalidTransition | Conflict,
    strawberry.union("CancelPlanResult"),
]
DueDateChangePreviewResult = Annotated[
    DueDateChangePreview | ValidationError | NotFound | NotAllowed | RuleViolation,
    strawberry.union("DueDateChangePreviewResult"),
]
ChangeDueDateResult = Annotated[
    ChangeDueDateSuccess | ValidationError | NotFound | NotAllowed | RuleViolation | Conflict,
    strawberry.union("ChangeDueDateResult"),
]
TransferAddressResult = Annotated[
    PlanChangeSuccess | ValidationError | NotFound | NotAllowed | RuleViolation | Conflict,
    strawberry.union("TransferAddressResult"),
]
SetContractResult = Annotated[
    SetContractSuccess | ValidationError | NotFound | NotAllowed | RuleViolation | Conflict,
    strawberry.union("SetContractResult"),
]
AuthorizeBankDebitResult = Annotated[
    PlanChangeSuccess | ValidationError | NotFound | NotAllowed | RuleViolation | Conflict,
    strawberry.union("AuthorizeBankDebitResult"),
]
ScheduleInstallationResult = Annotated[
    ScheduleInstallationSuccess
    | ValidationError
    | NotFound
    | NotAllowed
    | RuleViolation
    | Conflict,
    strawberry.union("ScheduleInstallationResult"),
]
RestorationResult = Annotated[
    PlanChangeSuccess | NotFound | NotAllowed | InvalidTransition | RuleViolation | Conflict,
    strawberry.union("TemporaryRestorationResult"),
]
AddressByCepResult = Annotated[
    CepAddressType | ValidationError | NotFound | RuleViolation,
    strawberry.union("AddressByCepResult"),
]


# ---- inputs of the mutations ----


@strawberry.input(description="INACTIVE needs `inactiveReason`; CANCELLED needs `cancelReason`.")
class ChangePlanStatusInput:
    plan_id: strawberry.ID
    status: PlanStatus
    inactive_reason: InactiveReason | None = None
    cancel_reason: str | None = None


@strawberry.input
class CancelPlanInput:
    plan_id: strawberry.ID
    reason: str


@strawberry.input(description="The new due day and the token of the preview that showed it.")
class ChangeDueDateInput:
    plan_id: strawberry.ID
    new_due_day: int
    token: str


@strawberry.input
class TransferAddressInput:
    plan_id: strawberry.ID
    address: AddressChoiceInput
    role: AddressRole = AddressRole.INSTALLATION


@strawberry.input
class SetContractInput:
    plan_id: strawberry.ID
    contract: ContractDetailsInput


@strawberry.input
class AuthorizeBankDebitInput:
    plan_id: strawberry.ID
    bank_id: strawberry.ID
    branch: str
    account: str


@strawberry.input
class ScheduleInstallationInput:
    plan_id: strawberry.ID
    appointment: AppointmentInput


@strawberry.input
class PlanIdInput:
    plan_id: strawberry.ID


def _plan_success(result: Any) -> Any:
    if isinstance(result, Plan):
        return PlanChangeSuccess(plan=PlanType.from_model(result))
    return result


@strawberry.type
class PlanLifecycleQuery:
    @strawberry.field(description="The figures of a due-date change, before confirming it.")
    async def due_date_change_preview(
        self, info: Info, plan_id: strawberry.ID, new_due_day: int
    ) -> DueDateChangePreviewResult:
        result = await perform(
            info,
            lambda session: plan_billing.preview_due_date_change(
                session,
                plan_id=plan_key(plan_id),
                new_due_day=new_due_day,
                actor=info.context.identity,
            ),
        )
        if not isinstance(result, plan_billing.DueDatePreview):
            return result  # type: ignore[return-value]
        figures = result.figures
        return DueDateChangePreview(
            plan=PlanType.from_model(result.plan),
            new_due_day=result.new_due_day,
            current_due_date=figures.current_due_date,
            new_due_date=figures.new_due_date,
            generated_on=figures.generated_on,
            days_moved=figures.days_moved,
            kind=figures.kind,
            amount=figures.amount,
            token=result.token,
        )

    @strawberry.field(description="The address a CEP names, from the CEP lookup service.")
    async def address_by_cep(self, info: Info, cep: str) -> AddressByCepResult:
        digits = normalize_cep(cep)
        if digits is None:
            problem = "must be 8 digits, e.g. 01310-100"
            return ValidationError(
                message=f"cep: {problem}", fields=[FieldError(path=["cep"], message=problem)]
            )
        try:
            found = await cep_lookup(info).lookup(digits)
        except CepUnavailable as error:
            return RuleViolation(
                message=f"The CEP lookup service is unavailable: {error}", rule="CEP_UNAVAILABLE"
            )
        if found is None:
            return NotFound(message=f"CEP {digits} was not found.", entity="Cep", id=digits)
        return CepAddressType(
            cep=found.cep,
            street=found.street,
            complement=found.complement,
            district=found.district,
            city=found.city,
            state=found.state,
        )


@strawberry.type
class PlanLifecycleMutation:
    @strawberry.mutation(description="Moves a plan between ACTIVE and INACTIVE, or cancels it.")
    async def change_plan_status(
        self, info: Info, input: ChangePlanStatusInput
    ) -> ChangePlanStatusResult:
        result = await perform(
            info,
            lambda session: plans.change_plan_status(
                session,
                plan_id=plan_key(input.plan_id),
                status=input.status,
                inactive_reason=input.inactive_reason,
                cancel_reason=input.cancel_reason,
                actor=info.context.identity,
            ),
        )
        return _plan_success(result)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Cancels a plan and ends everything on it; it is final.")
    async def cancel_plan(self, info: Info, input: CancelPlanInput) -> CancelPlanResult:
        result = await perform(
            info,
            lambda session: plans.cancel_plan(
                session,
                plan_id=plan_key(input.plan_id),
                reason=input.reason,
                actor=info.context.identity,
            ),
        )
        if not isinstance(result, plans.Cancellation):
            return result  # type: ignore[return-value]
        return CancelPlanSuccess(
            plan=PlanType.from_model(result.plan),
            ended_services=[service_from_model(s) for s in result.ended_services],
            removed_tv_points=TvPointType.from_models(result.removed_tv_points),
            dropped_installments=result.dropped_installments,
            ended_tv_packages=result.ended_tv_packages,
            cancelled_appointments=result.cancelled_appointments,
        )

    @strawberry.mutation(description="Applies a previewed due-date change (its token).")
    async def change_due_date(self, info: Info, input: ChangeDueDateInput) -> ChangeDueDateResult:
        result = await perform(
            info,
            lambda session: plan_billing.change_due_date(
                session,
                plan_id=plan_key(input.plan_id),
                new_due_day=input.new_due_day,
                token=input.token,
                actor=info.context.identity,
            ),
        )
        if not isinstance(result, tuple):
            return result  # type: ignore[return-value]
        plan, change = result
        return ChangeDueDateSuccess(
            plan=PlanType.from_model(plan), change=DueDateChangeType.from_model(change)
        )

    @strawberry.mutation(description="Moves the plan to a new address, keeping the old in history.")
    async def transfer_address(
        self, info: Info, input: TransferAddressInput
    ) -> TransferAddressResult:
        lookup = cep_lookup(info)
        result = await perform(
            info,
            lambda session: plans.transfer_address(
                session,
                plan_id=plan_key(input.plan_id),
                address=input.address.to_domain(),
                role=input.role,
                cep_lookup=lookup,
                actor=info.context.identity,
            ),
        )
        return _plan_success(result)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Adds or changes the plan's service contract.")
    async def set_contract(self, info: Info, input: SetContractInput) -> SetContractResult:
        result = await perform(
            info,
            lambda session: plans.set_contract(
                session,
                plan_id=plan_key(input.plan_id),
                contract=input.contract.to_domain(),
                actor=info.context.identity,
            ),
        )
        if not isinstance(result, tuple):
            return result  # type: ignore[return-value]
        plan, contract = result
        return SetContractSuccess(
            plan=PlanType.from_model(plan),
            contract=ContractType.from_model(contract),
            document_url=contract_document_url(plan.id),
        )

    @strawberry.mutation(description="Records a bank-debit authorization for the plan.")
    async def authorize_bank_debit(
        self, info: Info, input: AuthorizeBankDebitInput
    ) -> AuthorizeBankDebitResult:
        result = await perform(
            info,
            lambda session: plans.authorize_bank_debit(
                session,
                plan_id=plan_key(input.plan_id),
                details=plans.BankDetails(
                    bank_id=key(input.bank_id, "Bank") or -1,
                    branch=input.branch,
                    account=input.account,
                ),
                actor=info.context.identity,
            ),
        )
        return _plan_success(result)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Schedules the plan's installation; slots never overlap.")
    async def schedule_installation(
        self, info: Info, input: ScheduleInstallationInput
    ) -> ScheduleInstallationResult:
        result = await perform(
            info,
            lambda session: plans.schedule_installation(
                session,
                plan_id=plan_key(input.plan_id),
                appointment=input.appointment.to_domain(),
                actor=info.context.identity,
            ),
        )
        if not isinstance(result, tuple):
            return result  # type: ignore[return-value]
        plan, appointment = result
        return ScheduleInstallationSuccess(
            plan=PlanType.from_model(plan),
            appointment=InstallationAppointmentType.from_model(appointment),
        )

    @strawberry.mutation(description="Restores a reduced plan's full speed for a few days.")
    async def restore_temporary_speed(self, info: Info, input: PlanIdInput) -> RestorationResult:
        result = await perform(
            info,
            lambda session: plan_billing.restore_temporary_speed(
                session, plan_id=plan_key(input.plan_id), actor=info.context.identity
            ),
        )
        return _plan_success(result)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Enables a plan suspended for debt for a few days.")
    async def enable_temporarily(self, info: Info, input: PlanIdInput) -> RestorationResult:
        result = await perform(
            info,
            lambda session: plan_billing.enable_temporarily(
                session, plan_id=plan_key(input.plan_id), actor=info.context.identity
            ),
        )
        return _plan_success(result)  # type: ignore[no-any-return]
