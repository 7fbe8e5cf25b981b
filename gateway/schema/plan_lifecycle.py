"""Plan lifecycle: status, cancellation, due date, address, contract, bank debit, scheduling,
temporary speed restoration and enablement (manual 001 §5.4, manual 000; ADR 0040)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import strawberry

from domain import models as m
from domain.actions import plans
from domain.actions.plan_common import AddressChoice, NewAddress, NewContact
from domain.actions.plans import MAX_NOTES, MAX_REASON
from domain.models import enums as domain_enums
from gateway.schema.base import (
    AddressRole,
    FromModel,
    InactiveReason,
    PlanStatus,
)
from gateway.schema.bounds import bounded
from gateway.schema.errors import (
    AnyUserError,
)
from gateway.schema.ids import database_id
from gateway.schema.plans import ContractType, InstallationAppointmentType, PlanType
from gateway.schema.relations import Computed
from gateway.schema.services import ServiceInterface
from gateway.schema.tv import TvPointType

DueDateAdjustmentKind = strawberry.enum(domain_enums.DueDateAdjustmentKind)


def key(raw: strawberry.ID | None, *type_names: str) -> int | None:
    """A referenced row's key; -1 (refused by the action's checks) when the id is not one."""
    if raw is None:
        return None
    return database_id(raw, *type_names) or -1


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
    notes: str | None = bounded(
        max_length=MAX_NOTES, multiline=True, default=None, description="For the technician."
    )

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
    PlanChangeSuccess | AnyUserError, strawberry.union("ChangePlanStatusResult")
]
CancelPlanResult = Annotated[CancelPlanSuccess | AnyUserError, strawberry.union("CancelPlanResult")]
DueDateChangePreviewResult = Annotated[
    DueDateChangePreview | AnyUserError, strawberry.union("DueDateChangePreviewResult")
]
ChangeDueDateResult = Annotated[
    ChangeDueDateSuccess | AnyUserError, strawberry.union("ChangeDueDateResult")
]
TransferAddressResult = Annotated[
    PlanChangeSuccess | AnyUserError, strawberry.union("TransferAddressResult")
]
SetContractResult = Annotated[
    SetContractSuccess | AnyUserError, strawberry.union("SetContractResult")
]
AuthorizeBankDebitResult = Annotated[
    PlanChangeSuccess | AnyUserError, strawberry.union("AuthorizeBankDebitResult")
]
ScheduleInstallationResult = Annotated[
    ScheduleInstallationSuccess | AnyUserError, strawberry.union("ScheduleInstallationResult")
]
RestorationResult = Annotated[
    PlanChangeSuccess | AnyUserError, strawberry.union("TemporaryRestorationResult")
]
AddressByCepResult = Annotated[
    CepAddressType | AnyUserError, strawberry.union("AddressByCepResult")
]


# ---- inputs of the mutations ----


@strawberry.input(description="INACTIVE needs `inactiveReason`; CANCELLED needs `cancelReason`.")
class ChangePlanStatusInput:
    plan_id: strawberry.ID
    status: PlanStatus
    inactive_reason: InactiveReason | None = None
    cancel_reason: str | None = bounded(
        max_length=MAX_REASON, multiline=True, default=None, description="Why it is cancelled."
    )


@strawberry.input
class CancelPlanInput:
    plan_id: strawberry.ID
    reason: str = bounded(max_length=MAX_REASON, multiline=True, description="Why it is cancelled.")


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
