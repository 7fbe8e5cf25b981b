"""Customer registration (Cadastro de Cliente): inputs, payloads and result unions of
createCustomer, updateCustomer, the contacts and addresses, and the LGPD export and
anonymization (ADR 0160, 0161)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from domain.actions import customers as actions
from domain.actions.plan_common import NewContact
from domain.actions.registration_rules import RegistrationAlert
from domain.models import enums as domain_enums
from gateway.schema.base import CustomerKind
from gateway.schema.customers import AddressType, ContactType, CustomerType, PhoneKind
from gateway.schema.errors import (
    Conflict,
    InvalidTransition,
    NotAllowed,
    NotFound,
    RuleViolation,
    ValidationError,
)
from gateway.schema.plan_lifecycle import AddressInput

RegistrationCondition = strawberry.enum(
    domain_enums.RegistrationCondition,
    description="What a registration rule (regra de cadastro) checks.",
)
_CONDITIONS = {
    "CUSTOMER_HAS_CPF": "A person's document is a valid CPF.",
    "CUSTOMER_HAS_CNPJ": "A company's document is a valid CNPJ.",
    "CUSTOMER_HAS_EMAIL": "The customer has an e-mail.",
    "CUSTOMER_HAS_PHONE": "The customer has a landline or a mobile.",
    "CUSTOMER_HAS_CONTACT": "The customer has at least one contact.",
    "NO_OVERDUE_RECEIVABLES": "The customer owes nothing past its due date.",
}
for _value in RegistrationCondition.__strawberry_definition__.values:  # type: ignore[attr-defined]
    _value.description = _CONDITIONS[_value.name]


@strawberry.type(
    description="A registration rule the customer fails now: addPlan would refuse with it "
    "(the manual's alert screen). The change itself was saved."
)
class RegistrationAlertType:
    condition: RegistrationCondition = strawberry.field(description="What the rule checks.")
    rule: str = strawberry.field(description="The rule's name, as the ISP configured it.")
    message: str = strawberry.field(description="What to tell the clerk.")

    @classmethod
    def of(cls, alert: RegistrationAlert) -> RegistrationAlertType:
        return cls(condition=alert.condition, rule=alert.rule, message=alert.message)


# ---- inputs ----


@strawberry.input(description="A phone number and its kind.")
class PhoneInput:
    number: str = strawberry.field(
        description="8 to 15 digits, optionally with a leading +; spaces, dots, dashes and "
        "parentheses are dropped."
    )
    kind: PhoneKind = strawberry.field(description="Landline or mobile.")

    def to_domain(self) -> actions.PhoneNumber:
        return actions.PhoneNumber(number=self.number, kind=self.kind)


@strawberry.input(description="A person who follows installations or extra services.")
class ContactInput:
    name: str = strawberry.field(description="1 to 200 characters.")
    phone: str | None = strawberry.field(default=None, description="A phone number.")
    email: str | None = strawberry.field(default=None, description="An e-mail address.")
    role: str | None = strawberry.field(
        default=None, description="What the person is to the customer, e.g. 'síndico'."
    )

    def to_domain(self) -> NewContact:
        return NewContact(name=self.name, phone=self.phone, email=self.email, role=self.role)


@strawberry.input(description="A new customer: a person (CPF) or a company (CNPJ).")
class CreateCustomerInput:
    kind: CustomerKind = strawberry.field(description="PERSON (PF, CPF) or COMPANY (PJ, CNPJ).")
    name: str = strawberry.field(description="Full name, or the company's legal name.")
    document: str = strawberry.field(
        description="CPF or CNPJ, punctuated or not; a CNPJ may be alphanumeric "
        "(12.ABC.345/01DE-35). Stored without punctuation, in upper case; unique."
    )
    trade_name: str | None = strawberry.field(
        default=None, description="A company's trade name (nome fantasia); PJ only."
    )
    birth_date: dt.date | None = strawberry.field(
        default=None, description="A person's birth date or a company's foundation date."
    )
    state_registration: str | None = strawberry.field(
        default=None, description="State registration (inscrição estadual), or ISENTO."
    )
    emails: list[str] = strawberry.field(
        default_factory=list, description="E-mail addresses; the first is the principal."
    )
    phones: list[PhoneInput] = strawberry.field(
        default_factory=list, description="Phone numbers, in the order to show them."
    )
    addresses: list[AddressInput] = strawberry.field(
        default_factory=list,
        description="Addresses (installation, billing...): CEP and number at least, the CEP "
        "lookup fills the rest. addPlan then picks them by id.",
    )
    contacts: list[ContactInput] = strawberry.field(
        default_factory=list, description="People who follow installations or extra services."
    )

    def to_domain(self) -> actions.NewCustomer:
        return actions.NewCustomer(
            fields=actions.CustomerFields(
                kind=self.kind,
                name=self.name,
                trade_name=self.trade_name,
                document=self.document,
                birth_date=self.birth_date,
                state_registration=self.state_registration,
                emails=list(self.emails),
                phones=[p.to_domain() for p in self.phones],
            ),
            addresses=[a.to_domain() for a in self.addresses],
            contacts=[c.to_domain() for c in self.contacts],
        )


@strawberry.input(
    description="What to change of a customer; a null field stays as it is, a list replaces "
    "the whole list. A subscriber changes only its own `emails` and `phones`."
)
class UpdateCustomerInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer; a subscriber may leave it out (itself)."
    )
    expected_version: int | None = strawberry.field(
        default=None,
        description="The `version` the caller read; if the customer changed since, the result "
        "is a Conflict and nothing changes.",
    )
    kind: CustomerKind | None = strawberry.field(
        default=None, description="PERSON or COMPANY; the document must fit it."
    )
    name: str | None = strawberry.field(default=None, description="Full or legal name.")
    document: str | None = strawberry.field(default=None, description="CPF or CNPJ.")
    trade_name: str | None = strawberry.field(
        default=None, description='A company\'s trade name; "" clears it.'
    )
    birth_date: dt.date | None = strawberry.field(
        default=None, description="Birth or foundation date."
    )
    state_registration: str | None = strawberry.field(
        default=None, description='State registration, or ISENTO; "" clears it.'
    )
    emails: list[str] | None = strawberry.field(
        default=None, description="Every e-mail of the customer, the principal first."
    )
    phones: list[PhoneInput] | None = strawberry.field(
        default=None, description="Every phone of the customer."
    )

    def to_domain(self) -> actions.CustomerFields:
        return actions.CustomerFields(
            kind=self.kind,
            name=self.name,
            trade_name=self.trade_name,
            document=self.document,
            birth_date=self.birth_date,
            state_registration=self.state_registration,
            emails=None if self.emails is None else list(self.emails),
            phones=None if self.phones is None else [p.to_domain() for p in self.phones],
        )


@strawberry.input(description="A new contact of a customer.")
class AddContactInput:
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="The customer; a subscriber may leave it out (itself)."
    )
    contact: ContactInput = strawberry.field(description="The contact's details.")


@strawberry.input(description='What to change of a contact; null keeps a field, "" clears it.')
class UpdateContactInput:
    contact_id: strawberry.ID = strawberry.field(description="The contact.")
    name: str | None = strawberry.field(default=None, description="1 to 200 characters.")
    phone: str | None = strawberry.field(default=None, description="A phone number.")
    email: str | None = strawberry.field(default=None, description="An e-mail address.")
    role: str | None = strawberry.field(default=None, description="What the person is.")

    def to_domain(self) -> actions.ContactChanges:
        return actions.ContactChanges(
            name=self.name, phone=self.phone, email=self.email, role=self.role
        )


@strawberry.input(description="The contact to remove.")
class RemoveContactInput:
    contact_id: strawberry.ID = strawberry.field(
        description="Refused while it follows a scheduled installation or an extra service."
    )


@strawberry.input(description="A new address of a customer.")
class AddAddressInput:
    customer_id: strawberry.ID = strawberry.field(description="The customer.")
    address: AddressInput = strawberry.field(description="CEP and number at least.")


@strawberry.input(
    description="The corrected address. An address a plan uses (or used) is refused: move the "
    "plan with transferAddress, which keeps its address history."
)
class UpdateAddressInput:
    address_id: strawberry.ID = strawberry.field(description="The address.")
    address: AddressInput = strawberry.field(
        description="The whole address; missing street, district, city or state come from "
        "the CEP lookup."
    )


@strawberry.input(description="The former customer to anonymize.")
class AnonymizeCustomerInput:
    customer_id: strawberry.ID = strawberry.field(
        description="Every plan cancelled, nothing open (receivables, tickets)."
    )


# ---- payloads ----


@strawberry.type(description="The customer after the change, and the rules it fails now.")
class CustomerChangeSuccess:
    customer: CustomerType = strawberry.field(description="The customer as saved.")
    alerts: list[RegistrationAlertType] = strawberry.field(
        description="Registration rules the customer fails (addPlan would refuse); empty when "
        "the registration is complete."
    )


@strawberry.type(description="The customer, its new or changed contact, and the alerts.")
class ContactChangeSuccess:
    customer: CustomerType = strawberry.field(description="The customer as saved.")
    contact: ContactType = strawberry.field(description="The contact as saved.")
    alerts: list[RegistrationAlertType] = strawberry.field(
        description="Registration rules the customer fails now."
    )


@strawberry.type(description="The customer after a contact was removed, and the alerts.")
class RemoveContactSuccess:
    customer: CustomerType = strawberry.field(description="The customer as saved.")
    removed_contact_id: strawberry.ID = strawberry.field(
        description="The global id of the contact that no longer exists."
    )
    alerts: list[RegistrationAlertType] = strawberry.field(
        description="Registration rules the customer fails now (e.g. no contact left)."
    )


@strawberry.type(description="The customer, its new or corrected address, and the alerts.")
class AddressChangeSuccess:
    customer: CustomerType = strawberry.field(description="The customer as saved.")
    address: AddressType = strawberry.field(description="The address as saved.")
    alerts: list[RegistrationAlertType] = strawberry.field(
        description="Registration rules the customer fails now."
    )


@strawberry.type(description="The anonymized customer: its personal data replaced.")
class AnonymizeCustomerSuccess:
    customer: CustomerType = strawberry.field(
        description="The customer row that remains, for the money records it holds."
    )


@strawberry.type(
    description="Every personal datum the ISP holds about a customer (LGPD art. 18), as one "
    "JSON document."
)
class CustomerDataExport:
    customer: CustomerType = strawberry.field(description="The customer exported.")
    generated_at: dt.datetime = strawberry.field(description="When the export was made.")
    document: JSON = strawberry.field(
        description="The data: registration, plans and services (no secrets), money records, "
        "tickets, connection sessions, authentication attempts and calls."
    )


CreateCustomerResult = Annotated[
    CustomerChangeSuccess
    | ValidationError
    | NotFound
    | NotAllowed
    | InvalidTransition
    | RuleViolation
    | Conflict,
    strawberry.union("CreateCustomerResult", description="The new customer, or why not."),
]
UpdateCustomerResult = Annotated[
    CustomerChangeSuccess
    | ValidationError
    | NotFound
    | NotAllowed
    | InvalidTransition
    | RuleViolation
    | Conflict,
    strawberry.union("UpdateCustomerResult", description="The changed customer, or why not."),
]
ContactChangeResult = Annotated[
    ContactChangeSuccess
    | ValidationError
    | NotFound
    | NotAllowed
    | InvalidTransition
    | RuleViolation
    | Conflict,
    strawberry.union("ContactChangeResult", description="The saved contact, or why not."),
]
RemoveContactResult = Annotated[
    RemoveContactSuccess
    | ValidationError
    | NotFound
    | NotAllowed
    | InvalidTransition
    | RuleViolation
    | Conflict,
    strawberry.union("RemoveContactResult", description="The removal, or why not."),
]
AddressChangeResult = Annotated[
    AddressChangeSuccess
    | ValidationError
    | NotFound
    | NotAllowed
    | InvalidTransition
    | RuleViolation
    | Conflict,
    strawberry.union("AddressChangeResult", description="The saved address, or why not."),
]
AnonymizeCustomerResult = Annotated[
    AnonymizeCustomerSuccess
    | ValidationError
    | NotFound
    | NotAllowed
    | InvalidTransition
    | RuleViolation
    | Conflict,
    strawberry.union("AnonymizeCustomerResult", description="The anonymization, or why not."),
]
CustomerDataExportResult = Annotated[
    CustomerDataExport
    | ValidationError
    | NotFound
    | NotAllowed
    | InvalidTransition
    | RuleViolation
    | Conflict,
    strawberry.union("CustomerDataExportResult", description="The export, or why not."),
]
