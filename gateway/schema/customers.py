"""Customer types: the customer, its addresses, contacts and extra fields."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain import models as m
from domain.models import enums as domain_enums
from gateway.loaders import container as loaders
from gateway.loaders import portal as portal_loaders
from gateway.loaders import registration as registration_loaders
from gateway.loaders.tv import BillingEventsByCustomerIdLoader
from gateway.schema.base import (
    DATABASE_ID,
    BillingEventStatus,
    CustomerKind,
    ExtraFieldType,
    FromModel,
    Info,
    Node,
    PlanStatus,
    ReceivableStatus,
)
from gateway.schema.relations import Relation

if TYPE_CHECKING:
    from gateway.schema.billing import ReceivableType
    from gateway.schema.billing_events import BillingEventType
    from gateway.schema.plans import PlanType
    from gateway.schema.portal import InvoiceType, TicketStatus, TicketType

PhoneKind = strawberry.enum(domain_enums.PhoneKind, description="What kind of line a phone is.")
_PHONE_KIND_VALUES = {"LANDLINE": "A landline (telefone fixo).", "MOBILE": "A mobile (celular)."}
for _value in PhoneKind.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _value.description = _PHONE_KIND_VALUES[_value.name]

CUSTOMER_EMAILS = Relation(
    "Customer", "emails", registration_loaders.EmailsByCustomerIdLoader, "id", "CustomerEmail",
    many=True, sort=("position", "id"),
)  # fmt: skip
CUSTOMER_PHONES = Relation(
    "Customer", "phones", registration_loaders.PhonesByCustomerIdLoader, "id", "CustomerPhone",
    many=True, sort=("position", "id"),
)  # fmt: skip
CUSTOMER_ADDRESSES = Relation(
    "Customer", "addresses", loaders.AddressesByCustomerIdLoader, "id", "Address", many=True
)
CUSTOMER_CONTACTS = Relation(
    "Customer", "contacts", loaders.ContactsByCustomerIdLoader, "id", "Contact", many=True
)
CUSTOMER_EXTRA_FIELDS = Relation(
    "Customer", "extraFields", loaders.ExtraFieldsByCustomerIdLoader, "id", "ExtraField",
    many=True,
)  # fmt: skip
CUSTOMER_PLANS = Relation(
    "Customer", "plans", loaders.PlansByCustomerIdLoader, "id", "Plan", many=True,
    filters=(("status", "status"),),
)  # fmt: skip
CUSTOMER_RECEIVABLES = Relation(
    "Customer", "receivables", loaders.ReceivablesByCustomerIdLoader, "id", "Receivable",
    many=True, filters=(("status", "status"),), sort=("due_date", "id"),
)  # fmt: skip


CUSTOMER_INVOICES = Relation(
    "Customer", "invoices", portal_loaders.InvoicesByCustomerIdLoader, "id", "Invoice", many=True
)
CUSTOMER_BILLING_EVENTS = Relation(
    "Customer", "billingEvents", BillingEventsByCustomerIdLoader, "id", "BillingEvent",
    many=True, filters=(("status", "status"),), sort=("due_date", "id"),
)  # fmt: skip
CUSTOMER_TICKETS = Relation(
    "Customer", "tickets", portal_loaders.TicketsByCustomerIdLoader, "id", "Ticket", many=True,
    filters=(("status", "status"),), last="last",
)  # fmt: skip


@strawberry.type(
    name="Address",
    description="A postal address of a customer (Novo Endereço): found by CEP, completed by hand.",
)
class AddressType(FromModel, Node):
    graphql_name = "Address"
    model = m.Address
    database_id: int = strawberry.field(description=DATABASE_ID)
    cep: str = strawberry.field(description="The CEP, 8 digits without the dash.")
    street: str = strawberry.field(description="Street (logradouro).")
    number: str = strawberry.field(description="Number in the street, as typed (may be S/N).")
    complement: str | None = strawberry.field(
        description="Complement (apartment, block...); null when none."
    )
    district: str = strawberry.field(description="District (bairro).")
    city: str = strawberry.field(description="City.")
    state: str = strawberry.field(description="State, its 2-letter code (UF), e.g. SP.")


@strawberry.type(name="CustomerEmail", description="One of a customer's e-mail addresses.")
class CustomerEmailType(FromModel):
    graphql_name = "CustomerEmail"
    model = m.CustomerEmail
    address: str = strawberry.field(description="The e-mail address, in lower case.")
    position: int = strawberry.field(description="1 for the principal e-mail, then in order.")


@strawberry.type(name="CustomerPhone", description="One of a customer's phone numbers.")
class CustomerPhoneType(FromModel):
    graphql_name = "CustomerPhone"
    model = m.CustomerPhone
    number: str = strawberry.field(description="Digits, with a leading + when international.")
    kind: PhoneKind = strawberry.field(description="Landline or mobile.")
    position: int = strawberry.field(description="The order the customer gave its phones in.")


@strawberry.type(
    name="Contact",
    description="A person linked to a customer (contato): follows installations, is the "
    "contact of extra services and tickets.",
)
class ContactType(FromModel, Node):
    graphql_name = "Contact"
    model = m.Contact
    database_id: int = strawberry.field(description=DATABASE_ID)
    name: str = strawberry.field(description="The person's name.")
    phone: str | None = strawberry.field(description="Phone number; null when not known.")
    email: str | None = strawberry.field(description="E-mail address; null when not known.")
    role: str | None = strawberry.field(
        description="What the person is to the customer (e.g. manager), free text; null when "
        "not given."
    )


@strawberry.type(
    name="ExtraField",
    description="A typed key/value on a customer or a plan (campo extra). Integrations write "
    "some: the TV platform's `ID Assinante` and `Auth Pin Assinante`.",
)
class ExtraFieldEntry(FromModel):
    graphql_name = "ExtraField"
    model = m.ExtraField
    name: str = strawberry.field(description="The field's name; unique on its owner.")
    value_type: ExtraFieldType = strawberry.field(description="The type of its value.")
    value: str = strawberry.field(
        description="The value as text, in its type's canonical form (e.g. 2026-03-01 for a DATE)."
    )


@strawberry.type(
    name="Customer",
    description="A person (CPF) or company (CNPJ) with plans (Cadastro de Cliente). Staff see "
    "every customer; a subscriber sees only its own.",
)
class CustomerType(FromModel, Node):
    graphql_name = "Customer"
    model = m.Customer
    database_id: int = strawberry.field(description=DATABASE_ID)
    kind: CustomerKind = strawberry.field(description="Person or company.")
    name: str = strawberry.field(
        description="The person's name, or the company's legal name (razão social)."
    )
    trade_name: str | None = strawberry.field(
        description="A company's trade name (nome fantasia); null when none (persons)."
    )
    document: str = strawberry.field(
        description="CPF (11 digits) or CNPJ (14 characters, alphanumeric since July 2026), "
        "without punctuation, in upper case."
    )
    email: str | None = strawberry.field(
        description="The principal e-mail: the first of `emails`; null when none."
    )
    phone: str | None = strawberry.field(
        description="The first landline of `phones`; null when none."
    )
    mobile_phone: str | None = strawberry.field(
        description="The first mobile of `phones`; null when none."
    )
    birth_date: dt.date | None = strawberry.field(
        description="A person's birth date, or a company's foundation date."
    )
    created_at: dt.datetime = strawberry.field(description="When the customer was registered.")
    state_registration: str | None = strawberry.field(
        description="The company's state registration (inscrição estadual), or ISENTO."
    )
    anonymized_at: dt.datetime | None = strawberry.field(
        description="When the customer's personal data was anonymized (LGPD); null if never."
    )
    version: int = strawberry.field(
        description="Bumped by every change of the registration; give it to updateCustomer as "
        "`expectedVersion` so a change made meanwhile is a Conflict, not lost."
    )

    @strawberry.field(description="The customer's e-mail addresses; the first is the principal.")
    async def emails(self, info: Info) -> list[CustomerEmailType]:
        return await CUSTOMER_EMAILS.resolve(self, info)

    @strawberry.field(description="The customer's phone numbers, in the order given.")
    async def phones(self, info: Info) -> list[CustomerPhoneType]:
        return await CUSTOMER_PHONES.resolve(self, info)

    @strawberry.field(description="The customer's addresses, oldest first.")
    async def addresses(self, info: Info) -> list[AddressType]:
        return await CUSTOMER_ADDRESSES.resolve(self, info)

    @strawberry.field(description="The customer's contacts, oldest first.")
    async def contacts(self, info: Info) -> list[ContactType]:
        return await CUSTOMER_CONTACTS.resolve(self, info)

    @strawberry.field(description="The customer's own extra fields (a plan has its own).")
    async def extra_fields(self, info: Info) -> list[ExtraFieldEntry]:
        return await CUSTOMER_EXTRA_FIELDS.resolve(self, info)

    @strawberry.field(description="The customer's plans, oldest first.")
    async def plans(
        self,
        info: Info,
        status: Annotated[
            list[PlanStatus] | None,
            strawberry.argument(description="Only plans in one of these statuses; null: all."),
        ] = None,
    ) -> list[Annotated[PlanType, strawberry.lazy("gateway.schema.plans")]]:
        return await CUSTOMER_PLANS.resolve(self, info, status=status)

    @strawberry.field(
        description="Everything the customer owes or paid, by due date."
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
        return await CUSTOMER_RECEIVABLES.resolve(self, info, status=status)

    @strawberry.field(
        description="Charges of the customer's plans waiting for, or made by, billing."
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
        return await CUSTOMER_BILLING_EVENTS.resolve(self, info, status=status)

    @strawberry.field(
        description="The customer's invoices (notas fiscais)."
        " Null, with an error naming it, for staff without the BILLING permission."
    )
    async def invoices(
        self, info: Info
    ) -> list[Annotated[InvoiceType, strawberry.lazy("gateway.schema.portal")]] | None:
        return await CUSTOMER_INVOICES.resolve(self, info)

    @strawberry.field(
        description="The customer's support tickets in the order they were recorded, "
        "optionally in some statuses."
    )
    async def tickets(
        self,
        info: Info,
        status: Annotated[
            list[Annotated[TicketStatus, strawberry.lazy("gateway.schema.portal")]] | None,
            strawberry.argument(description="Only tickets in one of these statuses; null: all."),
        ] = None,
        last: Annotated[
            int | None,
            strawberry.argument(
                description="Only the last N of them (the most recently recorded), for a home "
                "screen's latest tickets."
            ),
        ] = None,
    ) -> list[Annotated[TicketType, strawberry.lazy("gateway.schema.portal")]]:
        return await CUSTOMER_TICKETS.resolve(self, info, status=status, last=last)
