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
    described_enum,
)
from gateway.schema.bounds import bounded
from gateway.schema.errors import AnyUserError, answers
from gateway.schema.ids import database_id
from gateway.schema.plans import ContractType, InstallationAppointmentType, PlanType
from gateway.schema.relations import Computed
from gateway.schema.services import ServiceInterface
from gateway.schema.tv import TvPointType

DueDateAdjustmentKind = described_enum(
    domain_enums.DueDateAdjustmentKind,
    "Which way a due-date change moves the next receivable's amount (Alterar Vencimento).",
    {
        "SURCHARGE": "The due date moves later: `amount` is added (acréscimo).",
        "DISCOUNT": "The due date moves earlier: `amount` is taken off (desconto).",
    },
)


def key(raw: strawberry.ID | None, *type_names: str) -> int | None:
    """A referenced row's key; -1 (refused by the action's checks) when the id is not one."""
    if raw is None:
        return None
    return database_id(raw, *type_names) or -1


# ---- shared inputs ----


@strawberry.input(description="An address: CEP and number at least; the CEP lookup fills the rest.")
class AddressInput:
    cep: str = strawberry.field(description="The CEP, 8 digits (a dash is allowed: 01310-100).")
    number: str = strawberry.field(
        description="Number in the street: 1 to 20 letters, digits, spaces, '/', '.' or '-'."
    )
    complement: str | None = strawberry.field(
        default=None, description="Apartment, block..., at most 100 characters (never looked up)."
    )
    street: str | None = strawberry.field(
        default=None, description="At most 200 characters; null: from the CEP lookup."
    )
    district: str | None = strawberry.field(
        default=None, description="District (bairro), at most 100 characters; null: from the CEP."
    )
    city: str | None = strawberry.field(
        default=None, description="At most 100 characters; null: from the CEP lookup."
    )
    state: str | None = strawberry.field(
        default=None, description="A Brazilian state's 2-letter code, e.g. SP; null: from the CEP."
    )

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
    address_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the customer's addresses (global or database id)."
    )
    new_address: AddressInput | None = strawberry.field(
        default=None, description="A new address, added to the customer's addresses."
    )

    def to_domain(self) -> AddressChoice:
        return AddressChoice(
            address_id=key(self.address_id, "Address"),
            new=self.new_address.to_domain() if self.new_address else None,
        )


@strawberry.input(description="The service contract's details (contrato do serviço).")
class ContractDetailsInput:
    number: str = strawberry.field(
        description="The contract's number, 1 to 40 characters; not another plan's."
    )
    sale_date: dt.date = strawberry.field(description="Data Venda; not in the future.")
    installation_fee: Decimal = strawberry.field(
        default=Decimal("0.00"),
        description="Installation fee in R$ (Vl. Tx. Instalação), 0 or more: billed once as "
        "receivables, one a month from the plan's next due date.",
    )
    installation_installments: int = strawberry.field(
        default=1, description="Installments of the fee (Parcelas), 1 to 24, a cent or more each."
    )
    validity_months: int = strawberry.field(
        default=12, description="Validade do Contrato in months, 1 to 120."
    )
    template_id: strawberry.ID | None = strawberry.field(
        default=None, description="An active contract template (Modelo); null: none."
    )

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
    name: str = strawberry.field(description="The person's name, 1 to 200 characters.")
    phone: str | None = strawberry.field(
        default=None, description="8 to 20 digits, spaces, '(', ')', '-', optionally a '+'."
    )
    email: str | None = strawberry.field(default=None, description="An e-mail address.")
    role: str | None = strawberry.field(
        default=None, description="What the person is to the customer, free text."
    )


@strawberry.input(description="An installation slot for a technician or a role (one of them).")
class AppointmentInput:
    date: dt.date = strawberry.field(description="The day, today or later (UTC).")
    start_time: dt.time = strawberry.field(description="When the slot starts.")
    end_time: dt.time = strawberry.field(description="When the slot ends, after the start.")
    technician_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="An active technician; their slots must not overlap. Give this or roleId.",
    )
    role_id: strawberry.ID | None = strawberry.field(
        default=None, description="A role (cargo). Give this or technicianId."
    )
    contact_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="One of the customer's contacts to follow it; at most one of this and "
        "newContact.",
    )
    new_contact: NewContactInput | None = strawberry.field(
        default=None, description="A new contact of the customer to follow it."
    )
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
    plan: PlanType = strawberry.field(description="The plan as it is now.")


@strawberry.type(description="The cancelled plan and everything its cancellation ended.")
class CancelPlanSuccess:
    plan: PlanType = strawberry.field(description="The plan, now CANCELLED.")
    ended_services: list[ServiceInterface] = strawberry.field(
        description="The services it ended: extra services and antivirus licences CANCELLED, "
        "every other kind DISABLED (IPs back to their pool)."
    )
    removed_tv_points: list[TvPointType] = strawberry.field(
        description="The TV points it removed (the platform is told after commit)."
    )
    dropped_installments: int = strawberry.field(
        description="Extra-service installments not billed yet, dropped."
    )
    ended_tv_packages: int = strawberry.field(description="How many TV packages it ended.")
    cancelled_appointments: int = strawberry.field(
        description="How many scheduled installations it cancelled."
    )


def _applied(receivable_id: int | None) -> bool:
    return receivable_id is not None


DUE_DATE_CHANGE_APPLIED = Computed("DueDateChange", "applied", ("receivable_id",), _applied)


@strawberry.type(
    name="DueDateChange",
    description="A confirmed due-date change (Alterar Vencimento) and its figures, which the "
    "cycle billing run applies to the receivable due on `newDueDate`. Staff need the BILLING "
    "permission to read it.",
)
class DueDateChangeType(FromModel):
    graphql_name = "DueDateChange"
    model = m.DueDateChange
    from_due_day: int = strawberry.field(description="The due day before, 1 to 28.")
    to_due_day: int = strawberry.field(description="The due day after, 1 to 28.")
    current_due_date: dt.date = strawberry.field(
        description="The due date the next receivable not generated yet had before the change."
    )
    new_due_date: dt.date = strawberry.field(description="That receivable's new due date.")
    days_moved: int = strawberry.field(description="Days moved: positive later, negative earlier.")
    kind: DueDateAdjustmentKind = strawberry.field(description="Surcharge or discount.")
    amount: Decimal = strawberry.field(
        description="The surcharge or discount in R$ (never negative: `kind` says which way)."
    )
    created_at: dt.datetime = strawberry.field(description="When it was confirmed.")
    receivable_id: strawberry.Private[int | None]

    @strawberry.field(description="Whether the billing run applied it to the receivable yet.")
    def applied(self) -> bool:
        return DUE_DATE_CHANGE_APPLIED.resolve(self)


@strawberry.type(description="What changing the due day would do; confirm it with `token`.")
class DueDateChangePreview:
    plan: PlanType = strawberry.field(description="The plan, unchanged.")
    new_due_day: int = strawberry.field(description="The due day previewed, 1 to 28.")
    current_due_date: dt.date = strawberry.field(
        description="Due date of the next receivable not generated yet, as it is now."
    )
    new_due_date: dt.date = strawberry.field(description="Its due date after the change.")
    generated_on: dt.date = strawberry.field(
        description="When the billing run generates it (the billing form's closing day)."
    )
    days_moved: int = strawberry.field(description="Positive: later; negative: earlier.")
    kind: DueDateAdjustmentKind = strawberry.field(description="Surcharge or discount.")
    amount: Decimal = strawberry.field(
        description="In R$: the offer's monthly price / 30 per day moved, rounded to the cent."
    )
    token: str = strawberry.field(description="Pass it to changeDueDate to apply these figures.")


@strawberry.type(description="The due day changed, with the figures it will apply.")
class ChangeDueDateSuccess:
    plan: PlanType = strawberry.field(description="The plan, with its new due day.")
    change: DueDateChangeType = strawberry.field(description="The change as recorded.")


@strawberry.type(description="The plan's contract as saved.")
class SetContractSuccess:
    plan: PlanType = strawberry.field(description="The plan.")
    contract: ContractType = strawberry.field(description="Its contract, as saved.")
    document_url: str = strawberry.field(
        description="The printable contract (PDF), a path on this gateway: "
        "/plans/{global id}/contract.pdf."
    )


@strawberry.type(description="The installation booked.")
class ScheduleInstallationSuccess:
    plan: PlanType = strawberry.field(description="The plan.")
    appointment: InstallationAppointmentType = strawberry.field(
        description="The new appointment, SCHEDULED."
    )


@strawberry.type(name="CepAddress", description="What a CEP names; number and complement by hand.")
class CepAddressType:
    cep: str = strawberry.field(description="The CEP, 8 digits.")
    street: str = strawberry.field(description="Street (logradouro).")
    complement: str | None = strawberry.field(
        description="The lookup's note on the CEP's range (e.g. lado ímpar), not the address's "
        "complement; null when none."
    )
    district: str = strawberry.field(description="District (bairro).")
    city: str = strawberry.field(description="City.")
    state: str = strawberry.field(description="State, 2-letter code.")


ChangePlanStatusResult = Annotated[
    PlanChangeSuccess | AnyUserError,
    strawberry.union("ChangePlanStatusResult", description=answers("changePlanStatus")),
]
CancelPlanResult = Annotated[
    CancelPlanSuccess | AnyUserError,
    strawberry.union("CancelPlanResult", description=answers("cancelPlan")),
]
DueDateChangePreviewResult = Annotated[
    DueDateChangePreview | AnyUserError,
    strawberry.union("DueDateChangePreviewResult", description=answers("dueDateChangePreview")),
]
ChangeDueDateResult = Annotated[
    ChangeDueDateSuccess | AnyUserError,
    strawberry.union("ChangeDueDateResult", description=answers("changeDueDate")),
]
TransferAddressResult = Annotated[
    PlanChangeSuccess | AnyUserError,
    strawberry.union("TransferAddressResult", description=answers("transferAddress")),
]
SetContractResult = Annotated[
    SetContractSuccess | AnyUserError,
    strawberry.union("SetContractResult", description=answers("setContract")),
]
AuthorizeBankDebitResult = Annotated[
    PlanChangeSuccess | AnyUserError,
    strawberry.union("AuthorizeBankDebitResult", description=answers("authorizeBankDebit")),
]
ScheduleInstallationResult = Annotated[
    ScheduleInstallationSuccess | AnyUserError,
    strawberry.union("ScheduleInstallationResult", description=answers("scheduleInstallation")),
]
RestorationResult = Annotated[
    PlanChangeSuccess | AnyUserError,
    strawberry.union(
        "TemporaryRestorationResult",
        description=answers("restoreTemporarySpeed and enableTemporarily"),
    ),
]
AddressByCepResult = Annotated[
    CepAddressType | AnyUserError,
    strawberry.union("AddressByCepResult", description=answers("addressByCep")),
]


# ---- inputs of the mutations ----


@strawberry.input(description="INACTIVE needs `inactiveReason`; CANCELLED needs `cancelReason`.")
class ChangePlanStatusInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan (global or database id).")
    status: PlanStatus = strawberry.field(
        description="The new status: ACTIVE to INACTIVE and back, INACTIVE for another reason, "
        "or CANCELLED (as cancelPlan)."
    )
    inactive_reason: InactiveReason | None = strawberry.field(
        default=None, description="Required for INACTIVE, refused otherwise."
    )
    cancel_reason: str | None = bounded(
        max_length=MAX_REASON,
        multiline=True,
        default=None,
        description="Why it is cancelled; required for CANCELLED.",
    )


@strawberry.input(description="The plan to cancel and why.")
class CancelPlanInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan (global or database id).")
    reason: str = bounded(max_length=MAX_REASON, multiline=True, description="Why it is cancelled.")


@strawberry.input(description="The new due day and the token of the preview that showed it.")
class ChangeDueDateInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan (global or database id).")
    new_due_day: int = strawberry.field(description="The due day previewed, 1 to 28.")
    token: str = strawberry.field(
        description="`token` of the dueDateChangePreview: if anything changed since, the answer "
        "is Conflict and nothing is applied."
    )


@strawberry.input(description="The plan and its new address (Transferência de Endereço).")
class TransferAddressInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan (global or database id); not cancelled."
    )
    address: AddressChoiceInput = strawberry.field(
        description="The new address; not the one the plan has now."
    )
    role: AddressRole = strawberry.field(
        default=AddressRole.INSTALLATION, description="Which of the plan's addresses moves."
    )


@strawberry.input(description="The plan and its contract's details.")
class SetContractInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan (global or database id); not cancelled."
    )
    contract: ContractDetailsInput = strawberry.field(
        description="The whole contract: it replaces the plan's, if it has one."
    )


@strawberry.input(description="The bank account to debit (Autorização de Débito Bancário).")
class AuthorizeBankDebitInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan (global or database id); not cancelled."
    )
    bank_id: strawberry.ID = strawberry.field(description="A bank of the catalog.")
    branch: str = strawberry.field(
        description="Branch number (agência): 1 to 5 digits, optionally '-' and a check digit "
        "or X, e.g. 1234-5."
    )
    account: str = strawberry.field(
        description="Account number: 1 to 18 digits, optionally '-' and a check digit or X, "
        "e.g. 12345-6."
    )


@strawberry.input(description="The plan and the installation slot.")
class ScheduleInstallationInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan (global or database id); not cancelled."
    )
    appointment: AppointmentInput = strawberry.field(description="The slot to book.")


@strawberry.input(description="A plan.")
class PlanIdInput:
    plan_id: strawberry.ID = strawberry.field(description="The plan (global or database id).")
