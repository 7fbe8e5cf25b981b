"""Customer types: the customer, its addresses, contacts and extra fields."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from gateway.schema.base import (
    BillingEventStatus,
    CustomerKind,
    ExtraFieldType,
    FromModel,
    Info,
    Node,
    PlanStatus,
    ReceivableStatus,
)

if TYPE_CHECKING:
    from gateway.schema.billing import ReceivableType
    from gateway.schema.billing_events import BillingEventType
    from gateway.schema.plans import PlanType


@strawberry.type(name="Address", description="A postal address, found by CEP.")
class AddressType(FromModel, Node):
    graphql_name = "Address"
    database_id: int
    cep: str
    street: str
    number: str
    complement: str | None
    district: str
    city: str
    state: str


@strawberry.type(name="Contact", description="A person linked to a customer.")
class ContactType(FromModel, Node):
    graphql_name = "Contact"
    database_id: int
    name: str
    phone: str | None
    email: str | None
    role: str | None


@strawberry.type(name="ExtraField", description="A typed key/value on a customer or a plan.")
class ExtraFieldEntry(FromModel):
    graphql_name = "ExtraField"
    name: str
    value_type: ExtraFieldType
    value: str


@strawberry.type(name="Customer", description="A person (CPF) or company (CNPJ) with plans.")
class CustomerType(FromModel, Node):
    graphql_name = "Customer"
    database_id: int
    kind: CustomerKind
    name: str
    trade_name: str | None
    document: str
    email: str | None
    phone: str | None
    mobile_phone: str | None
    birth_date: dt.date | None
    created_at: dt.datetime

    @strawberry.field
    async def addresses(self, info: Info) -> list[AddressType]:
        rows = await info.context.loaders.addresses_by_customer.load(self.database_id)
        return AddressType.from_models(rows)

    @strawberry.field
    async def contacts(self, info: Info) -> list[ContactType]:
        rows = await info.context.loaders.contacts_by_customer.load(self.database_id)
        return ContactType.from_models(rows)

    @strawberry.field
    async def extra_fields(self, info: Info) -> list[ExtraFieldEntry]:
        rows = await info.context.loaders.extra_fields_by_customer.load(self.database_id)
        return ExtraFieldEntry.from_models(rows)

    @strawberry.field(description="The customer's plans, optionally only those in some statuses.")
    async def plans(
        self, info: Info, status: list[PlanStatus] | None = None
    ) -> list[Annotated[PlanType, strawberry.lazy("gateway.schema.plans")]]:
        from gateway.schema.plans import PlanType

        rows = await info.context.loaders.plans_by_customer.load(self.database_id)
        if status is not None:
            rows = [row for row in rows if row.status in status]
        return PlanType.from_models(rows)

    @strawberry.field(description="Everything the customer owes or paid, by due date.")
    async def receivables(
        self, info: Info, status: list[ReceivableStatus] | None = None
    ) -> list[Annotated[ReceivableType, strawberry.lazy("gateway.schema.billing")]]:
        from gateway.schema.billing import ReceivableType

        rows = await info.context.loaders.receivables_by_customer.load(self.database_id)
        if status is not None:
            rows = [row for row in rows if row.status in status]
        return ReceivableType.from_models(sorted(rows, key=lambda r: (r.due_date, r.id)))

    @strawberry.field(
        description="Charges of the customer's plans waiting for, or made by, billing."
    )
    async def billing_events(
        self,
        info: Info,
        status: list[BillingEventStatus] | None = None,
    ) -> list[Annotated[BillingEventType, strawberry.lazy("gateway.schema.billing_events")]]:
        from gateway.schema.billing_events import customer_billing_events

        return await customer_billing_events(info, self.database_id, status)
