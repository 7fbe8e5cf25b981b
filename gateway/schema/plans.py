"""Plan types: the customer's plan, its contract, address history and appointments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain import models as m
from domain.models import enums as domain_enums
from domain.models.base import utcnow
from domain.rules import restoration
from gateway.loaders import container as loaders
from gateway.loaders.plan_lifecycle import DueDateChangesByPlanIdLoader
from gateway.loaders.tv import BillingEventsByPlanIdLoader
from gateway.schema.base import (
    DATABASE_ID,
    AddressRole,
    AppointmentStatus,
    BillingEventStatus,
    FromModel,
    InactiveReason,
    Info,
    Node,
    PaymentMethod,
    PlanStatus,
    ReceivableStatus,
    ServiceKind,
    SpeedState,
)
from gateway.schema.catalog import (
    BankType,
    BillingFormType,
    ContractTemplateType,
    PlanOfferType,
    RoleType,
    TechnicianType,
)
from gateway.schema.customers import AddressType, ContactType, ExtraFieldEntry
from gateway.schema.relations import Computed, Relation

if TYPE_CHECKING:
    from gateway.schema.billing import ReceivableType
    from gateway.schema.billing_events import BillingEventType
    from gateway.schema.customers import CustomerType
    from gateway.schema.plan_lifecycle import DueDateChangeType
    from gateway.schema.services import ServiceInterface
    from gateway.schema.tv import TvPackageSubscriptionType, TvPointType

L = loaders
CONTRACT_TEMPLATE = Relation(
    "Contract", "template", L.ContractTemplateByIdLoader, "template_id", "ContractTemplate",
    many=False,
)  # fmt: skip
ADDRESS_CHANGE_ADDRESS = Relation(
    "PlanAddressChange", "address", L.AddressByIdLoader, "address_id", "Address", many=False
)
APPOINTMENT_TECHNICIAN = Relation(
    "InstallationAppointment", "technician", L.TechnicianByIdLoader, "technician_id",
    "Technician", many=False,
)  # fmt: skip
APPOINTMENT_ROLE = Relation(
    "InstallationAppointment", "role", L.RoleByIdLoader, "role_id", "Role", many=False
)
APPOINTMENT_CONTACT = Relation(
    "InstallationAppointment", "contact", L.ContactByIdLoader, "contact_id", "Contact",
    many=False,
)  # fmt: skip
PLAN_CUSTOMER = Relation("Plan", "customer", L.CustomerByIdLoader, "customer_id", "Customer", False)
PLAN_OFFER = Relation("Plan", "offer", L.PlanOfferByIdLoader, "offer_id", "PlanOffer", False)
PLAN_INSTALLATION_ADDRESS = Relation(
    "Plan", "installationAddress", L.AddressByIdLoader, "installation_address_id", "Address",
    many=False,
)  # fmt: skip
PLAN_BILLING_ADDRESS = Relation(
    "Plan", "billingAddress", L.AddressByIdLoader, "billing_address_id", "Address", many=False
)
PLAN_ADDRESS_HISTORY = Relation(
    "Plan", "addressHistory", L.AddressHistoryByPlanIdLoader, "id", "PlanAddressChange",
    many=True,
)  # fmt: skip
PLAN_BILLING_FORM = Relation(
    "Plan", "billingForm", L.BillingFormByIdLoader, "billing_form_id", "BillingForm", False
)
PLAN_BANK = Relation("Plan", "bank", L.BankByIdLoader, "bank_id", "Bank", many=False)
PLAN_CONTRACT = Relation("Plan", "contract", L.ContractByPlanIdLoader, "id", "Contract", False)
PLAN_APPOINTMENTS = Relation(
    "Plan", "appointments", L.AppointmentsByPlanIdLoader, "id", "InstallationAppointment",
    many=True,
)  # fmt: skip
PLAN_EXTRA_FIELDS = Relation(
    "Plan", "extraFields", L.ExtraFieldsByPlanIdLoader, "id", "ExtraField", many=True
)
PLAN_SERVICES = Relation(
    "Plan", "services", L.ServicesByPlanIdLoader, "id", "Service", many=True,
    filters=(("kind", "kind"),),
)  # fmt: skip
PLAN_TV_PACKAGES = Relation(
    "Plan", "tvPackages", L.TvPackageSubscriptionsByPlanIdLoader, "id", "TvPackageSubscription",
    many=True,
)  # fmt: skip
PLAN_TV_POINTS = Relation("Plan", "tvPoints", L.TvPointsByPlanIdLoader, "id", "TvPoint", True)
PLAN_DUE_DATE_CHANGES = Relation(
    "Plan", "dueDateChanges", DueDateChangesByPlanIdLoader, "id", "DueDateChange", many=True
)
PLAN_RECEIVABLES = Relation(
    "Plan", "receivables", L.ReceivablesByPlanIdLoader, "id", "Receivable", many=True,
    filters=(("status", "status"),), sort=("due_date", "id"),
)  # fmt: skip


PLAN_BILLING_EVENTS = Relation(
    "Plan", "billingEvents", BillingEventsByPlanIdLoader, "id", "BillingEvent", many=True,
    filters=(("status", "status"),), sort=("due_date", "id"),
)  # fmt: skip


@strawberry.type(
    name="Contract",
    description="The service contract of a plan (Contrato do Serviço); printable as GET "
    "/plans/{id}/contract.pdf.",
)
class ContractType(FromModel, Node):
    graphql_name = "Contract"
    model = m.Contract
    database_id: int = strawberry.field(description=DATABASE_ID)
    number: str = strawberry.field(description="The contract's number; unique.")
    sale_date: dt.date = strawberry.field(description="When the plan was sold (Data Venda).")
    installation_fee: Decimal = strawberry.field(
        description="Installation fee in R$ (Vl. Tx. Instalação); 0 when none."
    )
    installation_installments: int = strawberry.field(
        description="How many installments the fee is charged in (Parcelas), 1 to 24."
    )
    validity_months: int = strawberry.field(
        description="How long the contract runs, in months (Validade do Contrato), 1 to 120."
    )
    template_id: strawberry.Private[int | None]

    @strawberry.field(
        description="The template it prints from (Modelo); null when none was chosen."
    )
    async def template(self, info: Info) -> ContractTemplateType | None:
        return await CONTRACT_TEMPLATE.resolve(self, info)


@strawberry.type(
    name="PlanAddressChange",
    description="An address a plan had, and when (kept by Transferência de Endereço).",
)
class PlanAddressHistoryType(FromModel):
    graphql_name = "PlanAddressChange"
    model = m.PlanAddressHistory
    role: AddressRole = strawberry.field(description="Installation or billing address.")
    valid_from: dt.datetime = strawberry.field(description="From when the plan had it.")
    valid_to: dt.datetime | None = strawberry.field(
        description="Until when the plan had it; null: it still has it."
    )
    address_id: strawberry.Private[int]

    @strawberry.field(description="The address.")
    async def address(self, info: Info) -> AddressType:
        return await ADDRESS_CHANGE_ADDRESS.resolve(self, info)


@strawberry.type(
    name="InstallationAppointment",
    description="A scheduled installation (Agendar Instalação), for a technician or a role; "
    "one technician's slots never overlap.",
)
class InstallationAppointmentType(FromModel, Node):
    graphql_name = "InstallationAppointment"
    model = m.InstallationAppointment
    database_id: int = strawberry.field(description=DATABASE_ID)
    date: dt.date = strawberry.field(description="The day of the installation.")
    start_time: dt.time = strawberry.field(description="When the slot starts.")
    end_time: dt.time = strawberry.field(description="When the slot ends (after the start).")
    status: AppointmentStatus = strawberry.field(description="Its state.")
    notes: str | None = strawberry.field(description="Notes for the technician; null when none.")
    technician_id: strawberry.Private[int | None]
    role_id: strawberry.Private[int | None]
    contact_id: strawberry.Private[int | None]

    @strawberry.field(
        description="The technician booked; null when it was booked for a role instead."
    )
    async def technician(self, info: Info) -> TechnicianType | None:
        return await APPOINTMENT_TECHNICIAN.resolve(self, info)

    @strawberry.field(description="The role (cargo) booked; null when booked for a technician.")
    async def role(self, info: Info) -> RoleType | None:
        return await APPOINTMENT_ROLE.resolve(self, info)

    @strawberry.field(
        description="The contact who will follow the installation; null when none was given "
        "or the contact was deleted."
    )
    async def contact(self, info: Info) -> ContactType | None:
        return await APPOINTMENT_CONTACT.resolve(self, info)


def speed_state_now(
    stored: domain_enums.SpeedState | str, restored_until: dt.datetime | None
) -> domain_enums.SpeedState:
    """Plan.speedState on both read paths (the compiled one reads the stored enum's name and,
    on SQLite, a naive UTC timestamp)."""
    if isinstance(stored, str):
        stored = domain_enums.SpeedState[stored]
    if restored_until is not None and restored_until.tzinfo is None:
        restored_until = restored_until.replace(tzinfo=dt.UTC)
    return restoration.speed_state(stored, restored_until, utcnow())


PLAN_SPEED_STATE = Computed(
    "Plan", "speedState", ("speed_state", "speed_restored_until"), speed_state_now
)


@strawberry.type(
    name="Plan",
    description="A customer's contract for one plan offer (plano do cliente), with exactly "
    "one status. Staff see every plan; a subscriber sees only its own customer's.",
)
class PlanType(FromModel, Node):
    graphql_name = "Plan"
    model = m.Plan
    database_id: int = strawberry.field(description=DATABASE_ID)
    status: PlanStatus = strawberry.field(description="Its status.")
    inactive_reason: InactiveReason | None = strawberry.field(
        description="Why it is INACTIVE; null when it is ACTIVE or CANCELLED."
    )
    payment_method: PaymentMethod = strawberry.field(
        description="How it is paid (Forma de Pagamento)."
    )
    due_day: int = strawberry.field(
        description="Day of the month its receivables fall due (dia de vencimento), 1 to 28."
    )
    # The stored state; `speedState` is the state now (a restoration runs out by itself).
    speed_state: strawberry.Private[domain_enums.SpeedState]
    speed_restored_until: dt.datetime | None = strawberry.field(
        description="Until when the last temporary speed restoration lasts (it may have "
        "passed); null when there was none, or the plan became ACTIVE or was cancelled since."
    )
    last_speed_restoration_at: dt.datetime | None = strawberry.field(
        description="When the last temporary speed restoration started; the billing form's "
        "minimum interval counts from it. Null: none yet."
    )
    enabled_until: dt.datetime | None = strawberry.field(
        description="A plan suspended for debt works until then (temporary enablement); its "
        "status stays INACTIVE (SUSPENDED). Null when never enabled, or the plan became "
        "ACTIVE or was cancelled since."
    )
    last_enabled_at: dt.datetime | None = strawberry.field(
        description="When the last temporary enablement started; the billing form's minimum "
        "interval counts from it. Null: none yet."
    )
    bank_branch: str | None = strawberry.field(
        description="Bank branch (agência) of a bank-debit plan, e.g. 1234-5; null otherwise."
    )
    bank_account: str | None = strawberry.field(
        description="Bank account of a bank-debit plan, e.g. 12345-6; null otherwise."
    )
    bank_debit_authorized_at: dt.datetime | None = strawberry.field(
        description="When the customer's bank-debit authorization was recorded "
        "(authorizeBankDebit); null: never."
    )
    phone_bill_account: str | None = strawberry.field(
        description="The phone account billed for PHONE_BILL_DEBIT; null otherwise."
    )
    created_at: dt.datetime = strawberry.field(description="When the plan was added.")
    cancelled_at: dt.datetime | None = strawberry.field(
        description="When it was cancelled; null unless CANCELLED."
    )
    cancel_reason: str | None = strawberry.field(
        description="Why it was cancelled; null unless CANCELLED."
    )
    customer_id: strawberry.Private[int]
    offer_id: strawberry.Private[int]
    installation_address_id: strawberry.Private[int]
    billing_address_id: strawberry.Private[int]
    billing_form_id: strawberry.Private[int | None]
    bank_id: strawberry.Private[int | None]

    @strawberry.field(
        name="speedState",
        description="NORMAL, REDUCED, or TEMPORARILY_RESTORED until `speedRestoredUntil`; "
        "REDUCED again once that has passed (ADR 0102).",
    )
    def effective_speed_state(self) -> SpeedState:
        return PLAN_SPEED_STATE.resolve(self)  # type: ignore[no-any-return]

    @strawberry.field(description="The customer who holds the plan.")
    async def customer(
        self, info: Info
    ) -> Annotated[CustomerType, strawberry.lazy("gateway.schema.customers")]:
        return await PLAN_CUSTOMER.resolve(self, info)

    @strawberry.field(description="The catalog offer the plan is for.")
    async def offer(self, info: Info) -> PlanOfferType:
        return await PLAN_OFFER.resolve(self, info)

    @strawberry.field(description="Where the service is installed (End. de Instalação).")
    async def installation_address(self, info: Info) -> AddressType:
        return await PLAN_INSTALLATION_ADDRESS.resolve(self, info)

    @strawberry.field(description="Where bills go (Endereço de Cobrança).")
    async def billing_address(self, info: Info) -> AddressType:
        return await PLAN_BILLING_ADDRESS.resolve(self, info)

    @strawberry.field(description="Every address the plan has had, oldest first.")
    async def address_history(self, info: Info) -> list[PlanAddressHistoryType]:
        return await PLAN_ADDRESS_HISTORY.resolve(self, info)

    @strawberry.field(
        description="Its billing form (closing day, restoration limits); null when none: "
        "temporary restorations and enablements are then refused."
    )
    async def billing_form(self, info: Info) -> BillingFormType | None:
        return await PLAN_BILLING_FORM.resolve(self, info)

    @strawberry.field(description="The bank of a bank-debit plan; null otherwise.")
    async def bank(self, info: Info) -> BankType | None:
        return await PLAN_BANK.resolve(self, info)

    @strawberry.field(description="Its service contract; null until one is set.")
    async def contract(self, info: Info) -> ContractType | None:
        return await PLAN_CONTRACT.resolve(self, info)

    @strawberry.field(
        description="Confirmed due-date changes, oldest first."
        " Null, with an error naming it, for staff without the BILLING permission."
    )
    async def due_date_changes(
        self, info: Info
    ) -> (
        list[Annotated[DueDateChangeType, strawberry.lazy("gateway.schema.plan_lifecycle")]] | None
    ):
        return await PLAN_DUE_DATE_CHANGES.resolve(self, info)

    @strawberry.field(description="Its installation appointments, oldest first.")
    async def appointments(self, info: Info) -> list[InstallationAppointmentType]:
        return await PLAN_APPOINTMENTS.resolve(self, info)

    @strawberry.field(description="The plan's own extra fields (the customer has its own).")
    async def extra_fields(self, info: Info) -> list[ExtraFieldEntry]:
        return await PLAN_EXTRA_FIELDS.resolve(self, info)

    @strawberry.field(
        description="The plan's services, ended ones included, oldest first; each is its "
        "kind's type."
    )
    async def services(
        self,
        info: Info,
        kind: Annotated[
            list[ServiceKind] | None,
            strawberry.argument(description="Only services of these kinds; null: all."),
        ] = None,
    ) -> list[Annotated[ServiceInterface, strawberry.lazy("gateway.schema.services")]]:
        return await PLAN_SERVICES.resolve(self, info, kind=kind)

    @strawberry.field(
        description="TV packages on the plan: the offer's default and extras."
        " Null, with an error naming it, for staff without the TV_PACKAGES permission."
    )
    async def tv_packages(
        self, info: Info
    ) -> list[Annotated[TvPackageSubscriptionType, strawberry.lazy("gateway.schema.tv")]] | None:
        return await PLAN_TV_PACKAGES.resolve(self, info)

    @strawberry.field(
        description="Set-top boxes installed for the plan."
        " Null, with an error naming it, for staff without the TV_PACKAGES permission."
    )
    async def tv_points(
        self, info: Info
    ) -> list[Annotated[TvPointType, strawberry.lazy("gateway.schema.tv")]] | None:
        return await PLAN_TV_POINTS.resolve(self, info)

    @strawberry.field(
        description="The plan's receivables, by due date."
        " Null, with an error naming it, for staff without the BILLING permission."
    )
    async def receivables(
        self,
        info: Info,
        status: Annotated[
            list[ReceivableStatus] | None,
            strawberry.argument(
                description="Only receivables in one of these statuses; null: all."
            ),
        ] = None,
    ) -> list[Annotated[ReceivableType, strawberry.lazy("gateway.schema.billing")]] | None:
        return await PLAN_RECEIVABLES.resolve(self, info, status=status)

    @strawberry.field(
        description="Charges waiting for, or made by, the billing run."
        " Null, with an error naming it, for staff without the BILLING permission."
    )
    async def billing_events(
        self,
        info: Info,
        status: Annotated[
            list[BillingEventStatus] | None,
            strawberry.argument(description="Only events in one of these statuses; null: all."),
        ] = None,
    ) -> list[Annotated[BillingEventType, strawberry.lazy("gateway.schema.billing_events")]] | None:
        return await PLAN_BILLING_EVENTS.resolve(self, info, status=status)
