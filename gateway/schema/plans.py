"""Plan types: the customer's plan, its contract, address history and appointments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

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

if TYPE_CHECKING:
    from gateway.schema.billing import ReceivableType
    from gateway.schema.billing_events import BillingEventType
    from gateway.schema.customers import CustomerType
    from gateway.schema.services import ServiceInterface
    from gateway.schema.tv import TvPackageSubscriptionType, TvPointType


@strawberry.type(name="Contract", description="The service contract of a plan.")
class ContractType(FromModel, Node):
    graphql_name = "Contract"
    database_id: int
    number: str
    sale_date: dt.date
    installation_fee: Decimal
    installation_installments: int
    validity_months: int
    template_id: strawberry.Private[int | None]

    @strawberry.field
    async def template(self, info: Info) -> ContractTemplateType | None:
        if self.template_id is None:
            return None
        return ContractTemplateType.maybe(
            await info.context.loaders.contract_template.load(self.template_id)
        )


@strawberry.type(name="PlanAddressChange", description="An address a plan had, and when.")
class PlanAddressHistoryType(FromModel):
    graphql_name = "PlanAddressChange"
    role: AddressRole
    valid_from: dt.datetime
    valid_to: dt.datetime | None
    address_id: strawberry.Private[int]

    @strawberry.field
    async def address(self, info: Info) -> AddressType:
        return AddressType.from_model(await info.context.loaders.address.load(self.address_id))


@strawberry.type(name="InstallationAppointment", description="A scheduled installation.")
class InstallationAppointmentType(FromModel, Node):
    graphql_name = "InstallationAppointment"
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
        if self.technician_id is None:
            return None
        return TechnicianType.maybe(await info.context.loaders.technician.load(self.technician_id))

    @strawberry.field
    async def role(self, info: Info) -> RoleType | None:
        if self.role_id is None:
            return None
        return RoleType.maybe(await info.context.loaders.role.load(self.role_id))

    @strawberry.field(description="The contact who will follow the installation.")
    async def contact(self, info: Info) -> ContactType | None:
        if self.contact_id is None:
            return None
        return ContactType.maybe(await info.context.loaders.contact.load(self.contact_id))


@strawberry.type(name="Plan", description="A customer's contract for one plan offer.")
class PlanType(FromModel, Node):
    graphql_name = "Plan"
    database_id: int
    status: PlanStatus
    inactive_reason: InactiveReason | None
    payment_method: PaymentMethod
    due_day: int
    speed_state: SpeedState
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

    @strawberry.field
    async def customer(
        self, info: Info
    ) -> Annotated[CustomerType, strawberry.lazy("gateway.schema.customers")]:
        from gateway.schema.customers import CustomerType

        return CustomerType.from_model(await info.context.loaders.customer.load(self.customer_id))

    @strawberry.field
    async def offer(self, info: Info) -> PlanOfferType:
        return PlanOfferType.from_model(await info.context.loaders.plan_offer.load(self.offer_id))

    @strawberry.field
    async def installation_address(self, info: Info) -> AddressType:
        address = await info.context.loaders.address.load(self.installation_address_id)
        return AddressType.from_model(address)

    @strawberry.field
    async def billing_address(self, info: Info) -> AddressType:
        return AddressType.from_model(
            await info.context.loaders.address.load(self.billing_address_id)
        )

    @strawberry.field(description="Every address the plan has had, oldest first.")
    async def address_history(self, info: Info) -> list[PlanAddressHistoryType]:
        rows = await info.context.loaders.address_history_by_plan.load(self.database_id)
        return PlanAddressHistoryType.from_models(rows)

    @strawberry.field
    async def billing_form(self, info: Info) -> BillingFormType | None:
        if self.billing_form_id is None:
            return None
        return BillingFormType.maybe(
            await info.context.loaders.billing_form.load(self.billing_form_id)
        )

    @strawberry.field
    async def bank(self, info: Info) -> BankType | None:
        if self.bank_id is None:
            return None
        return BankType.maybe(await info.context.loaders.bank.load(self.bank_id))

    @strawberry.field
    async def contract(self, info: Info) -> ContractType | None:
        return ContractType.maybe(
            await info.context.loaders.contract_by_plan.load(self.database_id)
        )

    @strawberry.field
    async def appointments(self, info: Info) -> list[InstallationAppointmentType]:
        rows = await info.context.loaders.appointments_by_plan.load(self.database_id)
        return InstallationAppointmentType.from_models(rows)

    @strawberry.field
    async def extra_fields(self, info: Info) -> list[ExtraFieldEntry]:
        rows = await info.context.loaders.extra_fields_by_plan.load(self.database_id)
        return ExtraFieldEntry.from_models(rows)

    @strawberry.field(description="The plan's services, optionally only some kinds.")
    async def services(
        self, info: Info, kind: list[ServiceKind] | None = None
    ) -> list[Annotated[ServiceInterface, strawberry.lazy("gateway.schema.services")]]:
        from gateway.schema.services import service_from_model

        rows = await info.context.loaders.services_by_plan.load(self.database_id)
        if kind is not None:
            rows = [row for row in rows if row.kind in kind]
        return [service_from_model(row) for row in rows]

    @strawberry.field(description="TV packages on the plan: the offer's default and extras.")
    async def tv_packages(
        self, info: Info
    ) -> list[Annotated[TvPackageSubscriptionType, strawberry.lazy("gateway.schema.tv")]]:
        from gateway.schema.tv import TvPackageSubscriptionType

        rows = await info.context.loaders.tv_packages_by_plan.load(self.database_id)
        return TvPackageSubscriptionType.from_models(rows)

    @strawberry.field(description="Set-top boxes installed for the plan.")
    async def tv_points(
        self, info: Info
    ) -> list[Annotated[TvPointType, strawberry.lazy("gateway.schema.tv")]]:
        from gateway.schema.tv import TvPointType

        rows = await info.context.loaders.tv_points_by_plan.load(self.database_id)
        return TvPointType.from_models(rows)

    @strawberry.field
    async def receivables(
        self, info: Info, status: list[ReceivableStatus] | None = None
    ) -> list[Annotated[ReceivableType, strawberry.lazy("gateway.schema.billing")]]:
        from gateway.schema.billing import ReceivableType

        rows = await info.context.loaders.receivables_by_plan.load(self.database_id)
        if status is not None:
            rows = [row for row in rows if row.status in status]
        return ReceivableType.from_models(sorted(rows, key=lambda r: (r.due_date, r.id)))

    @strawberry.field(description="Charges waiting for, or made by, the billing run.")
    async def billing_events(
        self,
        info: Info,
        status: list[BillingEventStatus] | None = None,
    ) -> list[Annotated[BillingEventType, strawberry.lazy("gateway.schema.billing_events")]]:
        from gateway.schema.billing_events import plan_billing_events

        return await plan_billing_events(info, self.database_id, status)
