"""Root fields of the customer registration (Cadastro de Cliente) and the LGPD rights."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from domain.actions import customers as actions
from domain.actions import lgpd
from domain.models import Customer
from domain.models.base import utcnow
from gateway.resolvers.mutations import perform
from gateway.resolvers.plan_lifecycle import cep_lookup
from gateway.schema.base import Info, to_global_id
from gateway.schema.customers import AddressType, ContactType, CustomerType
from gateway.schema.ids import database_id
from gateway.schema.registration import (
    AddAddressInput,
    AddContactInput,
    AddressChangeResult,
    AddressChangeSuccess,
    AnonymizeCustomerInput,
    AnonymizeCustomerResult,
    AnonymizeCustomerSuccess,
    ContactChangeResult,
    ContactChangeSuccess,
    CreateCustomerInput,
    CreateCustomerResult,
    CustomerChangeSuccess,
    CustomerDataExport,
    CustomerDataExportResult,
    RegistrationAlertType,
    RemoveContactInput,
    RemoveContactResult,
    RemoveContactSuccess,
    UpdateAddressInput,
    UpdateContactInput,
    UpdateCustomerInput,
    UpdateCustomerResult,
)


def _key(raw: strawberry.ID | None, type_name: str) -> int | None:
    """The row's key; -1 (not found) for an id that is not one of `type_name`."""
    if raw is None:
        return None
    return database_id(raw, type_name) or -1


def _alerts(result: actions.Registration) -> list[RegistrationAlertType]:
    return [RegistrationAlertType.of(alert) for alert in result.alerts]


def _customer_success(result: Any) -> Any:
    if not isinstance(result, actions.Registration):
        return result
    return CustomerChangeSuccess(
        customer=CustomerType.from_model(result.customer), alerts=_alerts(result)
    )


def _contact_success(result: Any) -> Any:
    if not isinstance(result, actions.Registration):
        return result
    return ContactChangeSuccess(
        customer=CustomerType.from_model(result.customer),
        contact=ContactType.from_model(result.contacts[0]),
        alerts=_alerts(result),
    )


def _address_success(result: Any) -> Any:
    if not isinstance(result, actions.Registration):
        return result
    return AddressChangeSuccess(
        customer=CustomerType.from_model(result.customer),
        address=AddressType.from_model(result.addresses[0]),
        alerts=_alerts(result),
    )


@strawberry.type
class RegistrationQuery:
    @strawberry.field(
        description="Every personal datum held about the customer, as one JSON document (LGPD "
        "art. 18): staff with CUSTOMER_ADMIN, or the subscriber for itself."
    )
    async def customer_data_export(
        self,
        info: Info,
        customer_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="The customer; a subscriber may leave it out (itself)."
            ),
        ] = None,
    ) -> CustomerDataExportResult:
        result = await perform(
            info,
            lambda session: lgpd.customer_data_export(
                session, customer_id=_key(customer_id, "Customer"), actor=info.context.identity
            ),
        )
        if not isinstance(result, tuple):
            return result  # type: ignore[return-value]
        customer, document = result
        return CustomerDataExport(
            customer=CustomerType.from_model(customer),
            generated_at=utcnow(),
            document=document,
        )


@strawberry.type
class RegistrationMutation:
    @strawberry.mutation(
        description="Registers a customer (Novo Cliente) with its e-mails, phones, addresses "
        "and contacts; returns the registration rules it still fails as alerts."
    )
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> CreateCustomerResult:
        new = input.to_domain()
        lookup = cep_lookup(info)
        result = await perform(
            info,
            lambda session: actions.create_customer(
                session, new=new, cep_lookup=lookup, actor=info.context.identity
            ),
        )
        return _customer_success(result)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Changes a customer's registration (a subscriber: its own e-mails and "
        "phones); a change made since `expectedVersion` is a Conflict."
    )
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> UpdateCustomerResult:
        result = await perform(
            info,
            lambda session: actions.update_customer(
                session,
                customer_id=_key(input.customer_id, "Customer"),
                fields=input.to_domain(),
                expected_version=input.expected_version,
                actor=info.context.identity,
            ),
        )
        return _customer_success(result)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Adds a contact to a customer (a subscriber: to itself).")
    async def add_contact(self, info: Info, input: AddContactInput) -> ContactChangeResult:
        result = await perform(
            info,
            lambda session: actions.add_contact(
                session,
                customer_id=_key(input.customer_id, "Customer"),
                contact=input.contact.to_domain(),
                actor=info.context.identity,
            ),
        )
        return _contact_success(result)  # type: ignore[no-any-return]

    @strawberry.mutation(description="Changes a contact of a customer.")
    async def update_contact(self, info: Info, input: UpdateContactInput) -> ContactChangeResult:
        result = await perform(
            info,
            lambda session: actions.update_contact(
                session,
                contact_id=_key(input.contact_id, "Contact") or -1,
                changes=input.to_domain(),
                actor=info.context.identity,
            ),
        )
        return _contact_success(result)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Removes a contact, unless it follows a scheduled installation or an "
        "extra service."
    )
    async def remove_contact(self, info: Info, input: RemoveContactInput) -> RemoveContactResult:
        result = await perform(
            info,
            lambda session: actions.remove_contact(
                session,
                contact_id=_key(input.contact_id, "Contact") or -1,
                actor=info.context.identity,
            ),
        )
        if not isinstance(result, actions.Registration):
            return result  # type: ignore[return-value]
        return RemoveContactSuccess(
            customer=CustomerType.from_model(result.customer),
            removed_contact_id=strawberry.ID(
                to_global_id("Contact", result.removed_contact_id or 0)
            ),
            alerts=_alerts(result),
        )

    @strawberry.mutation(description="Adds an address to a customer, found by CEP.")
    async def add_address(self, info: Info, input: AddAddressInput) -> AddressChangeResult:
        lookup = cep_lookup(info)
        result = await perform(
            info,
            lambda session: actions.add_address(
                session,
                customer_id=_key(input.customer_id, "Customer") or -1,
                address=input.address.to_domain(),
                cep_lookup=lookup,
                actor=info.context.identity,
            ),
        )
        return _address_success(result)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Corrects an address that no plan uses (a plan's address changes through "
        "transferAddress)."
    )
    async def update_address(self, info: Info, input: UpdateAddressInput) -> AddressChangeResult:
        lookup = cep_lookup(info)
        result = await perform(
            info,
            lambda session: actions.update_address(
                session,
                address_id=_key(input.address_id, "Address") or -1,
                address=input.address.to_domain(),
                cep_lookup=lookup,
                actor=info.context.identity,
            ),
        )
        return _address_success(result)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Replaces the personal data of a former customer (LGPD), keeping the "
        "records other laws require (ADR 0161)."
    )
    async def anonymize_customer(
        self, info: Info, input: AnonymizeCustomerInput
    ) -> AnonymizeCustomerResult:
        result = await perform(
            info,
            lambda session: lgpd.anonymize_customer(
                session,
                customer_id=_key(input.customer_id, "Customer") or -1,
                actor=info.context.identity,
            ),
        )
        if isinstance(result, Customer):
            return AnonymizeCustomerSuccess(customer=CustomerType.from_model(result))
        return result  # type: ignore[return-value]
