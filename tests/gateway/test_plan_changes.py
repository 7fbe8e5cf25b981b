"""addressByCep, transferAddress, setContract and its PDF, authorizeBankDebit,
scheduleInstallation."""

from __future__ import annotations

import base64
import datetime as dt
import re
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain import models as m
from domain.identity import Identity, Role
from domain.models.enums import AddressRole, PaymentMethod, PlanStatus
from gateway.settings import Settings
from simulators.cep import UNAVAILABLE_CEP
from tests.gateway.helpers import UNREACHABLE, bearer, http_client, test_settings
from tests.gateway.plan_helpers import LIVE, a_plan, audit_rows, count, gid, run_as

CEP = """
query ($cep: String!) {
  addressByCep(cep: $cep) {
    __typename
    ... on CepAddress { cep street complement district city state }
    ... on NotFound { entity id }
    ... on ValidationError { fields { path } }
    ... on RuleViolation { rule }
  }
}
"""


async def test_address_by_cep(session: AsyncSession, cep_url: str) -> None:
    settings = Settings(cep_base_url=cep_url)

    async def ask(cep: str) -> dict:
        return (await run_as(session, CEP, {"cep": cep}, settings=settings))["addressByCep"]

    assert await ask("01001-000") == {
        "__typename": "CepAddress",
        "cep": "01001000",
        "street": "Praça da Sé",
        "complement": "lado ímpar",
        "district": "Sé",
        "city": "São Paulo",
        "state": "SP",
    }
    assert await ask("12345678") == {"__typename": "NotFound", "entity": "Cep", "id": "12345678"}
    assert await ask("123") == {"__typename": "ValidationError", "fields": [{"path": ["cep"]}]}
    assert await ask(UNAVAILABLE_CEP) == {"__typename": "RuleViolation", "rule": "CEP_UNAVAILABLE"}
    down = Settings(**UNREACHABLE)
    result = await run_as(session, CEP, {"cep": "01001000"}, settings=down)
    assert result["addressByCep"]["rule"] == "CEP_UNAVAILABLE"


TRANSFER = """
mutation ($input: TransferAddressInput!) {
  transferAddress(input: $input) {
    __typename
    ... on PlanChangeSuccess {
      plan {
        installationAddress { cep street number complement district city state }
        addressHistory { role validTo address { cep } }
      }
    }
    ... on ValidationError { fields { path message } }
    ... on RuleViolation { rule }
  }
}
"""


async def test_transfer_address_keeps_history(session: AsyncSession, cep_url: str) -> None:
    plan = await a_plan(session, LIVE)
    old_address = plan.installation_address_id
    settings = Settings(cep_base_url=cep_url)
    variables = {
        "input": {
            "planId": gid("Plan", plan.id),
            "address": {
                "newAddress": {"cep": "88015-100", "number": "250", "complement": "Sala 3"}
            },
        }
    }
    data = await run_as(session, TRANSFER, variables, settings=settings)
    result = data["transferAddress"]
    assert result["__typename"] == "PlanChangeSuccess"
    assert result["plan"]["installationAddress"] == {
        "cep": "88015100",
        "street": "Rua Felipe Schmidt",
        "number": "250",
        "complement": "Sala 3",
        "district": "Centro",
        "city": "Florianópolis",
        "state": "SC",
    }
    installation = [h for h in result["plan"]["addressHistory"] if h["role"] == "INSTALLATION"]
    assert [h["validTo"] is None for h in installation] == [False, True]
    assert installation[-1]["address"]["cep"] == "88015100"
    [row] = await audit_rows(session, "transferAddress", plan.id)
    assert row.before["installation_address_id"] == old_address

    # Back to an existing address of the customer: no lookup needed.
    back = {"input": {"planId": gid("Plan", plan.id), "address": {"addressId": str(old_address)}}}
    data = await run_as(session, TRANSFER, back, settings=settings)
    assert data["transferAddress"]["__typename"] == "PlanChangeSuccess"
    data = await run_as(session, TRANSFER, back, settings=settings)
    assert data["transferAddress"]["fields"] == [
        {"path": ["address", "addressId"], "message": "is already the plan's address"}
    ]


async def test_transfer_address_refusals(session: AsyncSession, cep_url: str) -> None:
    plan = await a_plan(session, LIVE)
    settings = Settings(cep_base_url=cep_url)
    other = await session.scalar(
        select(m.Address.id).where(m.Address.customer_id != plan.customer_id).limit(1)
    )

    async def transfer(address: dict) -> dict:
        variables = {"input": {"planId": gid("Plan", plan.id), "address": address}}
        return (await run_as(session, TRANSFER, variables, settings=settings))["transferAddress"]

    result = await transfer({"newAddress": {"cep": "12345678", "number": "1"}})
    assert result["fields"] == [
        {"path": ["address", "newAddress", "cep"], "message": "CEP 12345678 was not found"}
    ]
    result = await transfer({"newAddress": {"cep": "01001000", "number": "", "state": "XX"}})
    assert {tuple(f["path"]) for f in result["fields"]} == {
        ("address", "newAddress", "number"),
        ("address", "newAddress", "state"),
    }
    result = await transfer({"addressId": str(other)})
    assert result["fields"][0]["path"] == ["address", "addressId"]
    result = await transfer({})
    assert result["fields"][0]["message"] == "give exactly one of addressId and newAddress"
    # Everything given by hand: the lookup service is not even asked.
    down = Settings(**UNREACHABLE)
    by_hand = {
        "cep": "01310100",
        "number": "1000",
        "street": "Avenida Paulista",
        "district": "Bela Vista",
        "city": "São Paulo",
        "state": "sp",
    }
    variables = {"input": {"planId": gid("Plan", plan.id), "address": {"newAddress": by_hand}}}
    data = await run_as(session, TRANSFER, variables, settings=down)
    assert data["transferAddress"]["plan"]["installationAddress"]["state"] == "SP"

    cancelled = await a_plan(session, m.Plan.status == PlanStatus.CANCELLED)
    variables = {"input": {"planId": gid("Plan", cancelled.id), "address": {"newAddress": by_hand}}}
    data = await run_as(session, TRANSFER, variables, settings=settings)
    assert data["transferAddress"] == {"__typename": "RuleViolation", "rule": "PLAN_CANCELLED"}


SET_CONTRACT = """
mutation ($input: SetContractInput!) {
  setContract(input: $input) {
    __typename
    ... on SetContractSuccess {
      documentUrl
      contract { number saleDate installationFee installationInstallments validityMonths
                 template { name } }
      plan { contract { number } }
    }
    ... on ValidationError { fields { path message } }
  }
}
"""


async def test_set_contract(session: AsyncSession) -> None:
    plan = await a_plan(session, LIVE)
    template = await session.scalar(select(m.ContractTemplate).limit(1))
    contract = {
        "number": "CT-TESTE-0001",
        "saleDate": "2026-11-01",
        "installationFee": "199.90",
        "installationInstallments": 3,
        "validityMonths": 12,
        "templateId": gid("ContractTemplate", template.id),
    }
    data = await run_as(
        session, SET_CONTRACT, {"input": {"planId": gid("Plan", plan.id), "contract": contract}}
    )
    result = data["setContract"]
    assert result["__typename"] == "SetContractSuccess"
    assert result["documentUrl"] == f"/plans/{gid('Plan', plan.id)}/contract.pdf"
    assert result["contract"] == {
        "number": "CT-TESTE-0001",
        "saleDate": "2026-11-01",
        "installationFee": "199.90",
        "installationInstallments": 3,
        "validityMonths": 12,
        "template": {"name": template.name},
    }
    assert result["plan"]["contract"]["number"] == "CT-TESTE-0001"
    [row] = await audit_rows(session, "setContract", plan.id)
    assert row.after["installation_fee"] == "199.90" and row.before["number"] != "CT-TESTE-0001"

    other = await a_plan(session, LIVE, m.Plan.id != plan.id)
    bad = {
        **contract,
        "saleDate": (dt.date.today() + dt.timedelta(days=2)).isoformat(),
        "installationFee": "-1",
        "installationInstallments": 30,
        "validityMonths": 0,
        "templateId": gid("ContractTemplate", 10**6),
    }
    data = await run_as(
        session, SET_CONTRACT, {"input": {"planId": gid("Plan", other.id), "contract": bad}}
    )
    assert {f["path"][-1]: f["message"] for f in data["setContract"]["fields"]} == {
        "number": "is another plan's contract number",
        "saleDate": "cannot be in the future",
        "installationFee": "must be an amount of at least 0.00",
        "installationInstallments": "must be 1 to 24",
        "validityMonths": "must be 1 to 120 months",
        "templateId": "is not an active template",
    }


BANK = """
mutation ($input: AuthorizeBankDebitInput!) {
  authorizeBankDebit(input: $input) {
    __typename
    ... on PlanChangeSuccess {
      plan { paymentMethod bankBranch bankAccount bankDebitAuthorizedAt bank { code }
             billingForm { paymentMethod } }
    }
    ... on ValidationError { fields { path } }
    ... on NotAllowed { permission }
  }
}
"""


async def test_authorize_bank_debit(session: AsyncSession) -> None:
    plan = await a_plan(session, LIVE, m.Plan.payment_method == PaymentMethod.BOLETO)
    bank = await session.scalar(select(m.Bank).where(m.Bank.code == "341"))
    variables = {
        "input": {
            "planId": gid("Plan", plan.id),
            "bankId": gid("Bank", bank.id),
            "branch": "1234",
            "account": "56789-0",
        }
    }
    data = await run_as(session, BANK, variables)
    result = data["authorizeBankDebit"]["plan"]
    assert result["paymentMethod"] == "BANK_DEBIT"
    assert (result["bankBranch"], result["bankAccount"]) == ("1234", "56789-0")
    assert result["bank"] == {"code": "341"} and result["bankDebitAuthorizedAt"] is not None
    assert result["billingForm"] == {"paymentMethod": "BANK_DEBIT"}
    assert len(await audit_rows(session, "authorizeBankDebit", plan.id)) == 1

    variables["input"].update(bankId=gid("Bank", 999), branch="ag", account="")
    data = await run_as(session, BANK, variables)
    assert {f["path"][0] for f in data["authorizeBankDebit"]["fields"]} == {
        "bankId",
        "branch",
        "account",
    }
    clerk = Identity.staff("clerk")
    data = await run_as(session, BANK, variables, identity=clerk)
    assert data["authorizeBankDebit"] == {"__typename": "NotAllowed", "permission": "BILLING"}


SCHEDULE = """
mutation ($input: ScheduleInstallationInput!) {
  scheduleInstallation(input: $input) {
    __typename
    ... on ScheduleInstallationSuccess {
      appointment { date startTime endTime status technician { name } contact { name } }
      plan { appointments { status } }
    }
    ... on RuleViolation { rule message }
    ... on ValidationError { fields { path message } }
  }
}
"""


async def test_schedule_installation_never_overlaps(session: AsyncSession) -> None:
    plan = await a_plan(session, LIVE)
    technician = await session.scalar(select(m.Technician).order_by(m.Technician.id).limit(1))
    day = (dt.date.today() + dt.timedelta(days=400)).isoformat()

    async def schedule(start: str, end: str, **extra: object) -> dict:
        appointment = {
            "date": day,
            "startTime": start,
            "endTime": end,
            "technicianId": gid("Technician", technician.id),
            **extra,
        }
        variables = {"input": {"planId": gid("Plan", plan.id), "appointment": appointment}}
        return (await run_as(session, SCHEDULE, variables))["scheduleInstallation"]

    first = await schedule("09:00:00", "11:00:00", newContact={"name": "Síndico Paulo"})
    assert first["__typename"] == "ScheduleInstallationSuccess"
    assert first["appointment"] == {
        "date": day,
        "startTime": "09:00:00",
        "endTime": "11:00:00",
        "status": "SCHEDULED",
        "technician": {"name": technician.name},
        "contact": {"name": "Síndico Paulo"},
    }
    clash = await schedule("10:30:00", "12:00:00")
    assert clash["rule"] == "TECHNICIAN_SLOT_TAKEN"
    assert "from 09:00 to 11:00" in clash["message"]
    # Touching ends do not overlap.
    assert (await schedule("11:00:00", "12:00:00"))["__typename"] == "ScheduleInstallationSuccess"
    assert len(await audit_rows(session, "scheduleInstallation", plan.id)) == 2

    bad = await schedule("12:00:00", "11:00:00", contactId=gid("Contact", 10**7))
    assert {tuple(f["path"]) for f in bad["fields"]} == {
        ("appointment", "endTime"),
        ("appointment", "contactId"),
    }
    variables = {
        "input": {
            "planId": gid("Plan", plan.id),
            "appointment": {"date": "2020-01-01", "startTime": "08:00", "endTime": "09:00"},
        }
    }
    data = await run_as(session, SCHEDULE, variables)
    assert {f["message"] for f in data["scheduleInstallation"]["fields"]} == {
        "give exactly one of technicianId and roleId",
        "cannot be in the past",
    }
    role = await session.scalar(select(m.Role).limit(1))
    by_role = await schedule("09:00:00", "10:00:00", technicianId=None, roleId=gid("Role", role.id))
    assert by_role["__typename"] == "ScheduleInstallationSuccess"  # a role has no slots to clash


def pdf_text(pdf: bytes) -> bytes:
    """The page content of a reportlab PDF (its streams are ASCII85 + Flate encoded)."""
    text = b""
    pattern = rb"/Filter \[([^\]]*)\][^>]*>>\s*stream\r?\n(.*?)endstream"
    for match in re.finditer(pattern, pdf, re.S):
        data = match.group(2)
        if b"ASCII85" in match.group(1):
            data = base64.a85decode(data.strip().removesuffix(b"~>"), adobe=False)
        if b"Flate" in match.group(1):
            data = zlib.decompress(data)
        text += data
    return text


@pytest.fixture
async def client(engine: AsyncEngine, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(engine, test_settings(database_url)) as client:
        yield client


async def test_contract_pdf_only_for_authorised_callers(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    plan = await a_plan(session, LIVE)
    contract = await session.scalar(select(m.Contract).where(m.Contract.plan_id == plan.id))
    customer = await session.get(m.Customer, plan.customer_id)
    url = f"/plans/{gid('Plan', plan.id)}/contract.pdf"
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert contract.number.encode() in text
    assert customer.document[:3].encode() in text  # the formatted CPF/CNPJ

    forged = await client.get("/plans/bm90LWEtcGxhbg==/contract.pdf")
    assert forged.status_code == 404
    assert forged.json() == {
        "errors": [{"message": "Plan not found.", "extensions": {"code": "NOT_FOUND"}}]
    }
    assert (await client.get(f"/plans/{gid('Plan', 10**8)}/contract.pdf")).status_code == 404

    forbidden = await client.get(url, headers=bearer(Identity.staff("clerk")))
    assert forbidden.status_code == 403
    assert forbidden.json()["errors"][0]["extensions"]["permission"] == "PLAN_ADMIN"
    own = Identity(subject="sub", role=Role.SUBSCRIBER, customer_id=plan.customer_id)
    assert (await client.get(url, headers=bearer(own))).status_code == 200  # its own subscriber
    stranger = Identity(subject="sub2", role=Role.SUBSCRIBER, customer_id=plan.customer_id + 1)
    assert (await client.get(url, headers=bearer(stranger))).status_code == 404
    assert (await client.get(url, headers={"authorization": ""})).status_code == 401


async def test_address_history_role_billing(session: AsyncSession, cep_url: str) -> None:
    plan = await a_plan(session, LIVE)
    before = await count(
        session,
        m.PlanAddressHistory,
        m.PlanAddressHistory.plan_id == plan.id,
        m.PlanAddressHistory.role == AddressRole.BILLING,
    )
    variables = {
        "input": {
            "planId": gid("Plan", plan.id),
            "role": "BILLING",
            "address": {"newAddress": {"cep": "01001000", "number": "7"}},
        }
    }
    data = await run_as(session, TRANSFER, variables, settings=Settings(cep_base_url=cep_url))
    assert data["transferAddress"]["__typename"] == "PlanChangeSuccess"
    await session.refresh(plan)
    billing = await session.get(m.Address, plan.billing_address_id)
    assert (billing.cep, billing.number) == ("01001000", "7")
    assert (
        await count(
            session,
            m.PlanAddressHistory,
            m.PlanAddressHistory.plan_id == plan.id,
            m.PlanAddressHistory.role == AddressRole.BILLING,
        )
        == before + 1
    )
