"""Root fields of a plan's life: status, cancellation, due date, address, contract, restoration."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from domain.actions import plan_billing, plans
from domain.i18n import _
from domain.models import Plan
from domain.ports.cep import CepUnavailable, HttpCepLookup, normalize_cep
from gateway.resolvers.mutations import perform
from gateway.schema.base import (
    Info,
    to_global_id,
)
from gateway.schema.errors import (
    FieldError,
    NotFound,
    RuleViolation,
    ValidationError,
)
from gateway.schema.ids import database_id
from gateway.schema.plan_lifecycle import (
    AddressByCepResult,
    AuthorizeBankDebitInput,
    AuthorizeBankDebitResult,
    CancelPlanInput,
    CancelPlanResult,
    CancelPlanSuccess,
    CepAddressType,
    ChangeDueDateInput,
    ChangeDueDateResult,
    ChangeDueDateSuccess,
    ChangePlanStatusInput,
    ChangePlanStatusResult,
    DueDateChangePreview,
    DueDateChangePreviewResult,
    DueDateChangeType,
    PlanChangeSuccess,
    PlanIdInput,
    RestorationResult,
    ScheduleInstallationInput,
    ScheduleInstallationResult,
    ScheduleInstallationSuccess,
    SetContractInput,
    SetContractResult,
    SetContractSuccess,
    TransferAddressInput,
    TransferAddressResult,
    key,
)
from gateway.schema.plans import ContractType, InstallationAppointmentType, PlanType
from gateway.schema.services import service_from_model
from gateway.schema.tv import TvPointType


def plan_key(raw: strawberry.ID) -> int:
    """The plan's database key; -1 (no such plan) for an id that is not a plan's."""
    return database_id(raw, "Plan") or -1


def cep_lookup(info: Info) -> HttpCepLookup:
    return HttpCepLookup(info.context.settings.cep_base_url)


def contract_document_url(plan_id: int) -> str:
    """Where the plan's printable contract is served (gateway/http/documents.py)."""
    return f"/plans/{to_global_id('Plan', plan_id)}/contract.pdf"


def _plan_success(result: Any) -> Any:
    if isinstance(result, Plan):
        return PlanChangeSuccess(plan=PlanType.from_model(result))
    return result


@strawberry.type
class PlanLifecycleQuery:
    @strawberry.field(
        description="The figures of a due-date change before confirming it (Alterar "
        "Vencimento, Confirmação); changes nothing. Needs the BILLING permission."
    )
    async def due_date_change_preview(
        self,
        info: Info,
        plan_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The plan (global or database id); not cancelled."),
        ],
        new_due_day: Annotated[
            int,
            strawberry.argument(
                description="The new due day, 1 to 28, other than the plan's current one."
            ),
        ],
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

    @strawberry.field(
        description="The address a CEP names, from the CEP lookup service (the Pesquisar "
        "button of Novo Endereço): NotFound for an unknown CEP, RuleViolation CEP_UNAVAILABLE "
        "when the service is down. Any caller."
    )
    async def address_by_cep(
        self,
        info: Info,
        cep: Annotated[
            str, strawberry.argument(description="8 digits; a dash is allowed (01310-100).")
        ],
    ) -> AddressByCepResult:
        digits = normalize_cep(cep)
        if digits is None:
            problem = _("must be 8 digits, e.g. 01310-100")
            return ValidationError(
                message=f"cep: {problem}", fields=[FieldError(path=["cep"], message=problem)]
            )
        try:
            found = await cep_lookup(info).lookup(digits)
        except CepUnavailable as error:
            return RuleViolation(
                message=_("The CEP lookup service is unavailable: {error}", error=error),
                rule="CEP_UNAVAILABLE",
            )
        if found is None:
            return NotFound(
                message=_("CEP {digits} was not found.", digits=digits), entity="Cep", id=digits
            )
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
    @strawberry.mutation(
        description="Moves a plan between ACTIVE and INACTIVE (or to another inactive reason), or "
        "cancels it as cancelPlan does. Needs the PLAN_ADMIN permission."
    )
    async def change_plan_status(
        self,
        info: Info,
        input: Annotated[
            ChangePlanStatusInput, strawberry.argument(description="The plan and its new status.")
        ],
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

    @strawberry.mutation(
        description="Cancels a plan and, in the same transaction, ends everything on it: "
        "services, TV packages and points, unbilled extra-service installments, scheduled "
        "installations. CANCELLED is final. Needs the PLAN_ADMIN permission."
    )
    async def cancel_plan(
        self,
        info: Info,
        input: Annotated[
            CancelPlanInput, strawberry.argument(description="The plan and why it is cancelled.")
        ],
    ) -> CancelPlanResult:
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

    @strawberry.mutation(
        description="Applies exactly the figures a dueDateChangePreview showed (its token); "
        "Conflict when anything changed since. Needs the BILLING permission."
    )
    async def change_due_date(
        self,
        info: Info,
        input: Annotated[
            ChangeDueDateInput,
            strawberry.argument(description="The plan, the new due day and the preview's token."),
        ],
    ) -> ChangeDueDateResult:
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

    @strawberry.mutation(
        description="Moves the plan's installation or billing address (Transferência de "
        "Endereço), keeping the old one in `addressHistory`. Needs the PLAN_ADMIN permission."
    )
    async def transfer_address(
        self,
        info: Info,
        input: Annotated[
            TransferAddressInput,
            strawberry.argument(description="The plan, which address, and the new one."),
        ],
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

    @strawberry.mutation(
        description="Adds or replaces the plan's service contract (Contrato do Serviço); its "
        "installation fee becomes receivables once, and can no longer change after one was "
        "billed or paid. Needs the PLAN_ADMIN permission."
    )
    async def set_contract(
        self,
        info: Info,
        input: Annotated[
            SetContractInput, strawberry.argument(description="The plan and its contract.")
        ],
    ) -> SetContractResult:
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

    @strawberry.mutation(
        description="Records the customer's bank-debit authorization (Autorização de Débito "
        "Bancário): the plan becomes BANK_DEBIT with these details. Needs the BILLING "
        "permission."
    )
    async def authorize_bank_debit(
        self,
        info: Info,
        input: Annotated[
            AuthorizeBankDebitInput,
            strawberry.argument(description="The plan and the bank account."),
        ],
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

    @strawberry.mutation(
        description="Schedules the plan's installation (Agendar Instalação) for a technician or "
        "a role; a technician's slots never overlap. Needs the PLAN_ADMIN permission."
    )
    async def schedule_installation(
        self,
        info: Info,
        input: Annotated[
            ScheduleInstallationInput, strawberry.argument(description="The plan and the slot.")
        ],
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

    @strawberry.mutation(
        description="Restores a REDUCED plan's full speed for the days the system variable "
        "temporary_speed_restoration_days says (Restabelecer Velocidade Provisória), when its "
        "offer allows it and its billing form's limits do. Needs the PLAN_ADMIN permission."
    )
    async def restore_temporary_speed(
        self,
        info: Info,
        input: Annotated[PlanIdInput, strawberry.argument(description="The plan.")],
    ) -> RestorationResult:
        result = await perform(
            info,
            lambda session: plan_billing.restore_temporary_speed(
                session, plan_id=plan_key(input.plan_id), actor=info.context.identity
            ),
        )
        return _plan_success(result)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Enables a plan suspended for debt for the days the system variable "
        "temporary_enablement_days says (Habilitação Provisória), within its billing form's "
        "limits; it stays INACTIVE (SUSPENDED), with `enabledUntil`. Staff with PLAN_ADMIN, "
        "or the plan's own subscriber."
    )
    async def enable_temporarily(
        self,
        info: Info,
        input: Annotated[PlanIdInput, strawberry.argument(description="The plan.")],
    ) -> RestorationResult:
        result = await perform(
            info,
            lambda session: plan_billing.enable_temporarily(
                session, plan_id=plan_key(input.plan_id), actor=info.context.identity
            ),
        )
        return _plan_success(result)  # type: ignore[no-any-return]
