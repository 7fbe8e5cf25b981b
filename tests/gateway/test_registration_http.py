"""Customer registration (Cadastro de Cliente) over HTTP, as a front end drives it: create a
customer from nothing, change it, its contacts and addresses; every refusal changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import models as m
from domain.identity import Identity, Permission
from domain.models.enums import AppointmentStatus, PlanStatus
from tests.gateway.registration_support import (
    CLERK,
    audit_actions,
    count,
    gid,
    gql,
    post,
    subscriber,
    written_client,
)


@pytest.fixture
async def client(
    engine: AsyncEngine, database_url: str, cep_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    async for c in written_client(engine, database_url, cep_base_url=cep_url):
        yield c


CUSTOMER_FIELDS = """databaseId kind name tradeName document email phone mobilePhone
  birthDate stateRegistration version
  emails { address position } phones { number kind position }
  addresses { databaseId cep street number district city state }
  contacts { databaseId name phone email role }"""

CREATE = f"""mutation ($input: CreateCustomerInput!) {{ createCustomer(input: $input) {{
  __typename
  ... on CustomerChangeSuccess {{ customer {{ {CUSTOMER_FIELDS} }}
      alerts {{ condition rule message }} }}
  ... on ValidationError {{ fields {{ path message }} }}
  ... on NotAllowed {{ permission }}
  ... on Conflict {{ message }} }} }}"""

UPDATE = f"""mutation ($input: UpdateCustomerInput!) {{ updateCustomer(input: $input) {{
  __typename
  ... on CustomerChangeSuccess {{ customer {{ {CUSTOMER_FIELDS} }} alerts {{ condition }} }}
  ... on ValidationError {{ fields {{ path message }} }}
  ... on NotAllowed {{ message permission }}
  ... on NotFound {{ entity }}
  ... on Conflict {{ message }} }} }}"""

PERSON = {
    "kind": "PERSON",
    "name": "Maria Aparecida Souza",
    "document": "529.982.247-25",
    "birthDate": "1984-03-09",
    "emails": ["Maria.Souza@example.com.br", "maria@trabalho.com.br"],
    "phones": [
        {"number": "+55 (11) 98765-4321", "kind": "MOBILE"},
        {"number": "+55 11 3333-4444", "kind": "LANDLINE"},
    ],
    "addresses": [{"cep": "01001-000", "number": "100", "complement": "apto 12"}],
    "contacts": [{"name": "José Souza", "phone": "+5511999990000", "role": "cônjuge"}],
}


async def _free_cpf(engine: AsyncEngine) -> str:
    """A valid CPF no seeded customer has (the seed draws random ones)."""
    from random import Random

    from domain.rules.documents import generate_cpf

    rng = Random(2026)
    async with engine.connect() as c:
        taken = set(await c.scalars(select(m.Customer.document)))
    while (cpf := generate_cpf(rng)) in taken:
        pass
    return cpf


async def create(
    client: httpx.AsyncClient, identity: Identity = CLERK, **overrides: Any
) -> dict[str, Any]:
    result = (await gql(client, identity, CREATE, input={**PERSON, **overrides}))["createCustomer"]
    return result  # type: ignore[no-any-return]


async def test_a_person_is_registered_from_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    document = await _free_cpf(engine)
    punctuated = f"{document[:3]}.{document[3:6]}.{document[6:9]}-{document[9:]}"
    result = await create(client, document=punctuated)
    assert result["__typename"] == "CustomerChangeSuccess", result
    customer = result["customer"]
    assert customer["document"] == document  # stored without punctuation
    assert customer["version"] == 1
    assert customer["emails"] == [
        {"address": "maria.souza@example.com.br", "position": 1},
        {"address": "maria@trabalho.com.br", "position": 2},
    ]
    assert customer["phones"] == [
        {"number": "+5511987654321", "kind": "MOBILE", "position": 1},
        {"number": "+551133334444", "kind": "LANDLINE", "position": 2},
    ]
    # The principal columns follow the lists: the first e-mail, the first of each kind of phone.
    assert customer["email"] == "maria.souza@example.com.br"
    assert customer["mobilePhone"] == "+5511987654321"
    assert customer["phone"] == "+551133334444"
    # The CEP lookup (the simulator) filled the street, district, city and state.
    [address] = customer["addresses"]
    assert address["cep"] == "01001000" and address["street"] == "Praça da Sé"
    assert (address["city"], address["state"]) == ("São Paulo", "SP")
    assert [c["name"] for c in customer["contacts"]] == ["José Souza"]
    # A complete registration fails no rule.
    assert result["alerts"] == []
    assert await audit_actions(engine, customer["databaseId"]) == ["createCustomer"]


async def test_the_rules_addplan_checks_come_back_as_alerts(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    result = await create(
        client, document=await _free_cpf(engine), emails=[], phones=[], addresses=[], contacts=[]
    )
    assert result["__typename"] == "CustomerChangeSuccess", result
    assert {a["condition"] for a in result["alerts"]} == {
        "CUSTOMER_HAS_EMAIL",
        "CUSTOMER_HAS_PHONE",
    }
    assert all(a["message"].startswith(a["rule"]) for a in result["alerts"])
    # Completing the registration clears them.
    updated = (
        await gql(
            client,
            CLERK,
            UPDATE,
            input={
                "customerId": gid("Customer", result["customer"]["databaseId"]),
                "emails": ["novo@example.com.br"],
                "phones": [{"number": "11987650000", "kind": "MOBILE"}],
            },
        )
    )["updateCustomer"]
    assert updated["__typename"] == "CustomerChangeSuccess" and updated["alerts"] == []


async def test_a_company_with_an_alphanumeric_cnpj_is_registered_once(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    company = {
        "kind": "COMPANY",
        "name": "Exemplo Tecnologia Ltda",
        "tradeName": "Exemplo",
        "document": "12.ABC.345/01DE-35",
        "stateRegistration": "123.456.789.110",
        "birthDate": "2026-07-01",
        "addresses": [],
        "contacts": [],
    }
    result = await create(client, **company)
    assert result["__typename"] == "CustomerChangeSuccess", result
    assert result["customer"]["document"] == "12ABC34501DE35"
    assert result["customer"]["tradeName"] == "Exemplo"
    assert result["customer"]["stateRegistration"] == "123456789110"
    before = await count(engine, m.Customer)
    # The same document, typed in lower case, is the same document: refused, nothing written.
    again = await create(client, **{**company, "document": "12.abc.345/01de-35"})
    assert again["__typename"] == "ValidationError"
    assert [f["path"] for f in again["fields"]] == [["document"]]
    assert "already registered" in again["fields"][0]["message"]
    assert await count(engine, m.Customer) == before


async def test_bad_input_is_refused_at_once_and_writes_nothing(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = {t: await count(engine, t) for t in (m.Customer, m.Address, m.Contact, m.AuditLog)}
    result = await create(
        client,
        document="529.982.247-26",
        tradeName="Not for a person",
        birthDate="2999-01-01",
        emails=["not-an-email", "ok@example.com", "OK@example.com"],
        phones=[{"number": "12", "kind": "MOBILE"}],
        addresses=[{"cep": "123", "number": "1"}],
        contacts=[{"name": " "}],
    )
    assert result["__typename"] == "ValidationError"
    assert [f["path"] for f in result["fields"]] == [
        ["tradeName"],
        ["document"],
        ["birthDate"],
        ["emails", "0"],
        ["emails", "2"],
        ["phones", "0", "number"],
        ["addresses", "0", "cep"],
        ["contacts", "0", "name"],
    ]
    assert {t: await count(engine, t) for t in before} == before


async def test_only_customer_admins_register(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await count(engine, m.Customer)
    for identity in (Identity.staff("tv-clerk", Permission.TV_PACKAGES), subscriber(1)):
        refused = await create(client, identity, document=await _free_cpf(engine))
        assert refused == {"__typename": "NotAllowed", "permission": "CUSTOMER_ADMIN"}
    assert await count(engine, m.Customer) == before


async def test_idempotency_key_registers_once(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    before = await count(engine, m.Customer)
    variables = {"input": {**PERSON, "document": await _free_cpf(engine)}}
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = await post(client, CLERK, CREATE, headers=headers, **variables)
    second = await post(client, CLERK, CREATE, headers=headers, **variables)
    assert first.status_code == second.status_code == 200
    assert second.headers.get("idempotent-replayed") == "true"
    assert first.json() == second.json()
    assert await count(engine, m.Customer) == before + 1


async def test_update_with_a_stale_version_is_a_conflict(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    created = (await create(client, document=await _free_cpf(engine)))["customer"]
    customer_id = gid("Customer", created["databaseId"])
    renamed = (
        await gql(
            client,
            CLERK,
            UPDATE,
            input={"customerId": customer_id, "expectedVersion": 1, "name": "Maria A. Souza"},
        )
    )["updateCustomer"]
    assert renamed["__typename"] == "CustomerChangeSuccess"
    assert (renamed["customer"]["name"], renamed["customer"]["version"]) == ("Maria A. Souza", 2)
    # A clerk who read version 1 loses; nothing of its change is written.
    stale = (
        await gql(
            client,
            CLERK,
            UPDATE,
            input={"customerId": customer_id, "expectedVersion": 1, "name": "Outra"},
        )
    )["updateCustomer"]
    assert stale["__typename"] == "Conflict"
    async with engine.connect() as c:
        name, version = (
            await c.execute(
                select(m.Customer.name, m.Customer.version).where(
                    m.Customer.id == created["databaseId"]
                )
            )
        ).one()
    assert (name, version) == ("Maria A. Souza", 2)
    assert await audit_actions(engine, created["databaseId"]) == [
        "createCustomer",
        "updateCustomer",
    ]


async def test_two_concurrent_updates_of_one_version_one_wins(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    created = (await create(client, document=await _free_cpf(engine)))["customer"]
    customer_id = gid("Customer", created["databaseId"])
    results = await asyncio.gather(
        *(
            gql(
                client,
                CLERK,
                UPDATE,
                input={"customerId": customer_id, "expectedVersion": 1, "name": name},
            )
            for name in ("Primeira", "Segunda")
        )
    )
    kinds = sorted(r["updateCustomer"]["__typename"] for r in results)
    assert kinds == ["Conflict", "CustomerChangeSuccess"]
    assert await audit_actions(engine, created["databaseId"]) == [
        "createCustomer",
        "updateCustomer",
    ]


async def test_the_subscriber_changes_its_own_emails_and_phones_only(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    created = (await create(client, document=await _free_cpf(engine)))["customer"]
    me = subscriber(created["databaseId"])
    own = (
        await gql(
            client,
            me,
            UPDATE,
            input={
                "emails": ["eu@example.com.br"],
                "phones": [{"number": "11 91234-5678", "kind": "MOBILE"}],
            },
        )
    )["updateCustomer"]
    assert own["__typename"] == "CustomerChangeSuccess", own
    assert own["customer"]["emails"] == [{"address": "eu@example.com.br", "position": 1}]
    assert own["customer"]["phone"] is None and own["customer"]["mobilePhone"] == "11912345678"
    # Its name and document are the ISP's to change.
    refused = (
        await gql(client, me, UPDATE, input={"name": "Outro Nome", "document": "11144477735"})
    )["updateCustomer"]
    assert refused["__typename"] == "NotAllowed"
    assert "document, name" in refused["message"]
    # Another customer does not exist for it.
    other = (
        await gql(
            client,
            me,
            UPDATE,
            input={"customerId": gid("Customer", 1), "emails": ["x@example.com"]},
        )
    )["updateCustomer"]
    assert other == {"__typename": "NotFound", "entity": "Customer"}
    async with engine.connect() as c:
        first = await c.scalar(select(m.Customer.email).where(m.Customer.id == 1))
    assert first != "x@example.com"


CONTACT = """mutation ($input: AddContactInput!) { addContact(input: $input) { __typename
  ... on ContactChangeSuccess { contact { databaseId name email } customer { version } }
  ... on ValidationError { fields { path } } ... on NotFound { entity } } }"""
UPDATE_CONTACT = """mutation ($input: UpdateContactInput!) { updateContact(input: $input) {
  __typename ... on ContactChangeSuccess { contact { name phone email role } } } }"""
REMOVE_CONTACT = """mutation ($input: RemoveContactInput!) { removeContact(input: $input) {
  __typename ... on RemoveContactSuccess { removedContactId customer { contacts { name } } }
  ... on RuleViolation { rule message } ... on NotFound { entity } } }"""


async def test_contacts_are_added_changed_and_removed(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    created = (await create(client, document=await _free_cpf(engine)))["customer"]
    me = subscriber(created["databaseId"])
    added = (
        await gql(
            client, me, CONTACT, input={"contact": {"name": "Síndico", "email": "S@Predio.com"}}
        )
    )["addContact"]
    assert added["__typename"] == "ContactChangeSuccess"
    assert added["contact"]["email"] == "s@predio.com" and added["customer"]["version"] == 2
    contact_id = gid("Contact", added["contact"]["databaseId"])
    changed = (
        await gql(
            client,
            me,
            UPDATE_CONTACT,
            input={"contactId": contact_id, "phone": "+5511900001111", "email": ""},
        )
    )["updateContact"]
    assert changed["contact"] == {
        "name": "Síndico",
        "phone": "+5511900001111",
        "email": None,
        "role": None,
    }
    bad = (
        await gql(client, me, CONTACT, input={"contact": {"name": "X", "email": "not an e-mail"}})
    )["addContact"]
    assert bad == {"__typename": "ValidationError", "fields": [{"path": ["contact", "email"]}]}
    removed = (await gql(client, me, REMOVE_CONTACT, input={"contactId": contact_id}))[
        "removeContact"
    ]
    assert removed["__typename"] == "RemoveContactSuccess"
    assert removed["removedContactId"] == contact_id
    assert [c["name"] for c in removed["customer"]["contacts"]] == ["José Souza"]
    # Another customer's contact does not exist for the subscriber.
    async with engine.connect() as c:
        foreign = await c.scalar(
            select(m.Contact.id).where(m.Contact.customer_id != created["databaseId"]).limit(1)
        )
    stranger = await gql(client, me, REMOVE_CONTACT, input={"contactId": gid("Contact", foreign)})
    assert stranger["removeContact"] == {"__typename": "NotFound", "entity": "Contact"}
    assert await count(engine, m.Contact, m.Contact.id == foreign) == 1
    assert await audit_actions(engine, created["databaseId"]) == [
        "createCustomer",
        "addContact",
        "updateContact",
        "removeContact",
    ]


async def test_a_contact_following_an_installation_cannot_be_removed(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    async with engine.connect() as c:
        contact_id, customer_id = (
            await c.execute(
                select(m.Contact.id, m.Contact.customer_id)
                .join(
                    m.InstallationAppointment,
                    m.InstallationAppointment.contact_id == m.Contact.id,
                )
                .where(m.InstallationAppointment.status == AppointmentStatus.SCHEDULED)
                .limit(1)
            )
        ).one()
    refused = (
        await gql(client, CLERK, REMOVE_CONTACT, input={"contactId": gid("Contact", contact_id)})
    )["removeContact"]
    assert refused["__typename"] == "RuleViolation" and refused["rule"] == "CONTACT_IN_USE"
    assert "installation" in refused["message"]
    assert await count(engine, m.Contact, m.Contact.id == contact_id) == 1
    assert await audit_actions(engine, customer_id) == []


ADD_ADDRESS = """mutation ($input: AddAddressInput!) { addAddress(input: $input) { __typename
  ... on AddressChangeSuccess { address { databaseId cep street number city } }
  ... on ValidationError { fields { path message } } } }"""
UPDATE_ADDRESS = """mutation ($input: UpdateAddressInput!) { updateAddress(input: $input) {
  __typename ... on AddressChangeSuccess { address { cep street number complement city } }
  ... on RuleViolation { rule message } ... on NotAllowed { permission } } }"""


async def test_addresses_are_added_and_corrected_unless_a_plan_uses_them(
    client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    created = (await create(client, document=await _free_cpf(engine)))["customer"]
    customer_id = gid("Customer", created["databaseId"])
    added = (
        await gql(
            client,
            CLERK,
            ADD_ADDRESS,
            input={"customerId": customer_id, "address": {"cep": "88015-100", "number": "5"}},
        )
    )["addAddress"]
    assert added["__typename"] == "AddressChangeSuccess"
    assert added["address"]["street"] == "Rua Felipe Schmidt"
    address_id = gid("Address", added["address"]["databaseId"])
    fixed = (
        await gql(
            client,
            CLERK,
            UPDATE_ADDRESS,
            input={
                "addressId": address_id,
                "address": {"cep": "88015100", "number": "50", "complement": "sala 2"},
            },
        )
    )["updateAddress"]
    assert fixed["address"]["number"] == "50" and fixed["address"]["complement"] == "sala 2"
    # The subscriber does not change addresses.
    me = subscriber(created["databaseId"])
    mine = (
        await gql(
            client,
            me,
            UPDATE_ADDRESS,
            input={"addressId": address_id, "address": {"cep": "88015100", "number": "1"}},
        )
    )["updateAddress"]
    assert mine == {"__typename": "NotAllowed", "permission": "CUSTOMER_ADMIN"}
    # An address a plan uses changes only through transferAddress.
    async with engine.connect() as c:
        used, street = (
            await c.execute(
                select(m.Address.id, m.Address.street)
                .join(m.Plan, m.Plan.installation_address_id == m.Address.id)
                .where(m.Plan.status == PlanStatus.ACTIVE)
                .limit(1)
            )
        ).one()
    refused = (
        await gql(
            client,
            CLERK,
            UPDATE_ADDRESS,
            input={
                "addressId": gid("Address", used),
                "address": {"cep": "01001000", "number": "1"},
            },
        )
    )["updateAddress"]
    assert refused["__typename"] == "RuleViolation" and refused["rule"] == "ADDRESS_USED_BY_PLAN"
    assert "transferAddress" in refused["message"]
    async with engine.connect() as c:
        assert await c.scalar(select(m.Address.street).where(m.Address.id == used)) == street
