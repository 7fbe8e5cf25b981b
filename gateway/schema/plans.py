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


@strawberry.type(name="Contract", description="The service contract of a plan.")
class ContractType(FromModel, Node):
    graphql_name = "Contract"
    model = m.Contract
    database_id: int
    number: str
    sale_date: dt.date
    installation_fee: Decimal
    installation_installments: int
    validity_months: int
    template_id: strawberry.Private[int | None]

    @strawberry.field
    async def template(self, info: Info) -> ContractTemplateType | None:
        return await CONTRACT_TEMPLATE.resolve(self, info)


@strawberry.type(name="PlanAddressChange", description="An address a plan had, and when.")
class PlanAddressHistoryType(FromModel):
    graphql_name = "PlanAddressChange"
    model = m.PlanAddressHistory
    role: AddressRole
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    address_id: strawberry.Private[int]

    @strawberry.field
    async def address(self, info: Info) -> AddressType:
        return await ADDRESS_CHANGE_ADDRESS.resolve(self, info)


@strawberry.type(name="InstallationAppointment", description="A scheduled installation.")
class InstallationAppointmentType(FromModel, Node):
    graphql_name = "InstallationAppointment"
    model = m.InstallationAppointment
    database_id: int
    date: dt.date
    start_time: dt.time
    end_time: dt.time
    status: AppointmentStatus
    notes: str | None
    technician_id: strawberry.Private[int | None]
    role_id: strawberry.Private[int | None]
    contact_id: strawberry.Private[int | None]

    @strawberry.field
    async def technician(self, info: Info) -> TechnicianType | None:
        return await APPOINTMENT_TECHNICIAN.resolve(self, info)

    @strawberry.field
    async def role(self, info: Info) -> RoleType | None:
        return await APPOINTMENT_ROLE.resolve(self, info)

    @strawberry.field(description="The contact who will follow the installation.")
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


@strawberry.type(name="Plan", description="A customer's contract for one plan offer.")
class PlanType(FromModel, Node):
    graphql_name = "Plan"
    model = m.Plan
    database_id: int
    status: PlanStatus
    inactive_reason: InactiveReason | None
    payment_method: PaymentMethod
    due_day: int
    # The stored state; `speedState` is the state now (a restoration runs out by itself).
    speed_state: strawberry.Private[domain_enums.SpeedState]
    speed_restored_until: dt.datetime | None
    last_speed_restoration_at: dt.datetime | None
    enabled_until: dt.datetime | None = strawberry.field(
        description="A plan suspended for debt works until then (temporary enablement)."
    )
    last_enabled_at: dt.datetime | None
    bank_branch: str | None
    bank_account: str | None
    bank_debit_authorized_at: dt.datetime | None
    phone_bill_account: str | None
    created_at: dt.datetime
    cancelled_at: dt.datetime | None
    cancel_reason: str | None
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

    @strawberry.field
    async def customer(
        self, info: Info
    ) -> Annotated[CustomerType, strawberry.lazy("gateway.schema.customers")]:
        return await PLAN_CUSTOMER.resolve(self, info)

    @strawberry.field
    async def offer(self, info: Info) -> PlanOfferType:
        return await PLAN_OFFER.resolve(self, info)

    @strawberry.field
    async def installation_address(self, info: Info) -> AddressType:
        return await PLAN_INSTALLATION_ADDRESS.resolve(self, info)

    @strawberry.field
    async def billing_address(self, info: Info) -> AddressType:
        return await PLAN_BILLING_ADDRESS.resolve(self, info)

    @strawberry.field(description="Every address the plan has had, oldest first.")
    async def address_history(self, info: Info) -> list[PlanAddressHistoryType]:
        return await PLAN_ADDRESS_HISTORY.resolve(self, info)

    @strawberry.field
    async def billing_form(self, info: Info) -> BillingFormType | None:
        return await PLAN_BILLING_FORM.resolve(self, info)

    @strawberry.field
    async def bank(self, info: Info) -> BankType | None:
        return await PLAN_BANK.resolve(self, info)

    @strawberry.field
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

    @strawberry.field
    async def appointments(self, info: Info) -> list[InstallationAppointmentType]:
        return await PLAN_APPOINTMENTS.resolve(self, info)

    @strawberry.field
    async def extra_fields(self, info: Info) -> list[ExtraFieldEntry]:
        return await PLAN_EXTRA_FIELDS.resolve(self, info)

    @strawberry.field(description="The plan's services, optionally only some kinds.")
    async def services(
        self, info: Info, kind: list[ServiceKind] | None = None
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
        self, info: Info, status: list[ReceivableStatus] | None = None
    ) -> list[Annotated[ReceivableType, strawberry.lazy("gateway.schema.billing")]] | None:
        return await PLAN_RECEIVABLES.resolve(self, info, status=status)

    @strawberry.field(
        description="Charges waiting for, or made by, the billing run."
        " Null, with an error naming it, for staff without the BILLING permission."
    )
    async def billing_events(
        self,
        info: Info,
        status: list[BillingEventStatus] | None = None,
    ) -> list[Annotated[BillingEventType, strawberry.lazy("gateway.schema.billing_events")]] | None:
        return await PLAN_BILLING_EVENTS.resolve(self, info, status=status)
