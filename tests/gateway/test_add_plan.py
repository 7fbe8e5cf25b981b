"""addPlan (the whole wizard) and validateAddPlan (its checks, nothing saved)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import models as m
from domain.identity import Identity
from domain.models.enums import PlanStatus, ReceivableStatus
from gateway.settings import Settings
from tests.gateway.plan_helpers import audit_rows, count, gid, run_as, settle_debts

ADD = """
mutation ($input: AddPlanInput!) {
  addPlan(input: $input) {
    __typename
    ... on AddPlanSuccess {
      radiusLogin emailAddress
      plan {
        databaseId status inactiveReason paymentMethod dueDay bankBranch
        offer { name }
        installationAddress { cep street number complement district city state }
        billingAddress { databaseId }
        billingForm { paymentMethod }
        addressHistory { role validTo }
        services { __typename kind status ... on RadiusLogin { login } }
        tvPackages { isDefault package { name } }
        contract { number installationInstallments template { name } }
        appointments { date startTime status technician { name } contact { name } }
      }
    }
    ... on ValidationError { fields { path message } }
    ... on RuleViolation { rule message }
    ... on NotFound { entity id }
    ... on NotAllowed { permission }
  }
}
"""

VALIDATE = """
query ($input: AddPlanInput!) {
  validateAddPlan(input: $input) {
    __typename
    ... on AddPlanValid { missingSteps }
    ... on ValidationError { fields { path message } }
    ... on RuleViolation { rule }
  }
}
"""


async def _eligible_customer(session: AsyncSession) -> m.Customer:
    """A person with an e-mail and a phone whose debts are settled (passes every rule)."""
    customer = await session.scalar(
        select(m.Customer)
        .where(m.Customer.email.is_not(None), m.Customer.kind == "PERSON")
        .order_by(m.Customer.id)
        .limit(1)
    )
    assert customer is not None
    for plan_id in await session.scalars(
        select(m.Plan.id).where(m.Plan.customer_id == customer.id)
    ):
        await settle_debts(session, plan_id)
    return customer


async def _id(session: AsyncSession, model: Any, **where: Any) -> int:
    statement = select(model.id).filter_by(**where).order_by(model.id).limit(1)
    value = await session.scalar(statement)
    assert value is not None
    return int(value)


async def wizard(session: AsyncSession, customer: m.Customer) -> dict[str, Any]:
    """A complete wizard: new address by CEP, a TV offer, generated login, bank debit,
    contract and an installation appointment with a new contact."""
    existing = await _id(session, m.Address, customer_id=customer.id)
    return {
        "customerId": gid("Customer", customer.id),
        "offerId": gid(
            "PlanOffer", await _id(session, m.PlanOffer, name="Combo Fibra 300 + TV Essencial")
        ),
        "installationAddress": {"newAddress": {"cep": "01001-000", "number": "100"}},
        "radiusLogin": {"password": "S3nha!Forte#2026"},
        "email": {"login": f"wizard{customer.id}", "password": "Outra$Senha99"},
        "billing": {
            "paymentMethod": "BANK_DEBIT",
            "dueDay": 15,
            "billingAddress": {"addressId": gid("Address", existing)},
            "bankAccount": {
                "bankId": gid("Bank", await _id(session, m.Bank, code="001")),
                "branch": "0001",
                "account": "12345-6",
            },
        },
        "contract": {
            "number": f"CT-WIZ-{customer.id}",
            "saleDate": dt.date.today().isoformat(),
            "installationFee": "150.00",
            "installationInstallments": 2,
            "validityMonths": 12,
            "templateId": gid("ContractTemplate", await _id(session, m.ContractTemplate)),
        },
        "installation": {
            "technicianId": gid("Technician", await _id(session, m.Technician)),
            "date": (dt.date.today() + dt.timedelta(days=500)).isoformat(),
            "startTime": "08:00:00",
            "endTime": "10:00:00",
            "newContact": {"name": "Porteiro José", "phone": "+5511999990000"},
        },
    }


async def test_the_whole_wizard(session: AsyncSession, cep_url: str) -> None:
    customer = await _eligible_customer(session)
    settings = Settings(cep_base_url=cep_url)
    data = await run_as(session, ADD, {"input": await wizard(session, customer)}, settings=settings)
    result = data["addPlan"]
    assert result["__typename"] == "AddPlanSuccess", result
    plan = result["plan"]
    plan_id = plan["databaseId"]
    # The seed's pattern is {first_name}.{plan_id}, the name without accents.
    first = unicodedata.normalize("NFKD", customer.name.split()[0]).encode("ascii", "ignore")
    assert result["radiusLogin"] == f"{first.decode().lower()}.{plan_id}"
    assert result["emailAddress"] == f"wizard{customer.id}@provedor.net.br"
    assert (plan["status"], plan["inactiveReason"]) == ("ACTIVE", None)  # from the offer
    assert (plan["paymentMethod"], plan["dueDay"], plan["bankBranch"]) == ("BANK_DEBIT", 15, "0001")
    assert plan["billingForm"] == {"paymentMethod": "BANK_DEBIT"}
    assert plan["installationAddress"] == {
        "cep": "01001000",
        "street": "Praça da Sé",
        "number": "100",
        "complement": None,  # by hand: the CEP's "lado ímpar" is not the address's
        "district": "Sé",
        "city": "São Paulo",
        "state": "SP",
    }
    assert sorted(h["role"] for h in plan["addressHistory"]) == ["BILLING", "INSTALLATION"]
    assert {(s["kind"], s["status"]) for s in plan["services"]} == {
        ("RADIUS_LOGIN", "ACTIVE"),
        ("EMAIL", "ACTIVE"),
    }
    assert plan["tvPackages"] == [{"isDefault": True, "package": {"name": "TV Essencial"}}]
    assert plan["contract"]["number"] == f"CT-WIZ-{customer.id}"
    [appointment] = plan["appointments"]
    assert appointment["status"] == "SCHEDULED"
    assert appointment["contact"] == {"name": "Porteiro José"}

    login = await session.scalar(select(m.RadiusLogin).where(m.RadiusLogin.plan_id == plan_id))
    assert login.password_hash.startswith("$argon2id$")
    assert "S3nha" not in login.password_hash
    [row] = await audit_rows(session, "addPlan", plan_id)
    assert row.after["radius_login"] == result["radiusLogin"]

    # The same wizard again: the e-mail and the contract number are taken now, and the
    # technician's slot is too; the fields are reported together, before the slot.
    again = await run_as(
        session, ADD, {"input": await wizard(session, customer)}, settings=settings
    )
    assert {tuple(f["path"]) for f in again["addPlan"]["fields"]} == {
        ("email", "login"),
        ("contract", "number"),
    }
    repeat = await wizard(session, customer)
    repeat["email"]["login"] = "outro.login"
    repeat["contract"]["number"] = "CT-WIZ-OTHER"
    again = await run_as(session, ADD, {"input": repeat}, settings=settings)
    assert again["addPlan"]["rule"] == "TECHNICIAN_SLOT_TAKEN"


async def test_initial_status_and_a_given_login(session: AsyncSession) -> None:
    customer = await _eligible_customer(session)
    address = await _id(session, m.Address, customer_id=customer.id)
    variables = {
        "input": {
            "customerId": str(customer.id),
            "offerId": gid(
                "PlanOffer", await _id(session, m.PlanOffer, name="Fibra Rural 50 Mega")
            ),
            "installationAddress": {"addressId": gid("Address", address)},
            "radiusLogin": {"login": "Rural.Login01", "password": "xYz!2345678"},
            "billing": {"paymentMethod": "BOLETO", "dueDay": 5},
        }
    }
    data = await run_as(session, ADD, variables)
    result = data["addPlan"]
    assert result["radiusLogin"] == "rural.login01"
    assert (result["plan"]["status"], result["plan"]["inactiveReason"]) == (
        "INACTIVE",
        "AWAITING_INSTALLATION",
    )
    assert result["plan"]["billingAddress"]["databaseId"] == address  # defaults to installation
    assert result["plan"]["tvPackages"] == [] and result["plan"]["contract"] is None

    data = await run_as(session, ADD, variables)
    assert data["addPlan"]["fields"] == [{"path": ["radiusLogin", "login"], "message": "is taken"}]


async def test_field_checks(session: AsyncSession) -> None:
    customer = await _eligible_customer(session)
    plans_before = await count(session, m.Plan, m.Plan.customer_id == customer.id)
    data = await run_as(session, ADD, {"input": {"customerId": str(customer.id)}})
    assert data["addPlan"]["fields"] == [
        {"path": ["offerId"], "message": "is required"},
        {"path": ["installationAddress"], "message": "is required"},
        {"path": ["billing"], "message": "is required"},
    ]
    business = await _id(session, m.PlanOffer, name="Empresarial Link Dedicado 200")
    variables = {
        "input": {
            "customerId": str(customer.id),
            "offerId": gid("PlanOffer", business),
            "installationAddress": {"newAddress": {"cep": "1234", "number": "1"}},
            "radiusLogin": {"login": "ok.login", "password": "ok.login"},
            "billing": {
                "paymentMethod": "PHONE_BILL_DEBIT",
                "dueDay": 30,
                "bankAccount": {"bankId": "1", "branch": "1", "account": "1"},
                "billingFormId": gid("BillingForm", await _id(session, m.BillingForm)),
            },
        }
    }
    data = await run_as(session, ADD, variables)
    assert {tuple(f["path"]): f["message"] for f in data["addPlan"]["fields"]} == {
        ("installationAddress", "newAddress", "cep"): "must be 8 digits, e.g. 01310-100",
        ("radiusLogin", "password"): "is too weak: it equals the login or e-mail; very weak "
        "passwords (< 20) are refused",
        ("radiusLogin", "domain"): "is required by the offer",
        ("billing", "dueDay"): "must be a day from 1 to 28",
        ("billing", "bankAccount"): "is only for bank debit",
        ("billing", "phoneBillAccount"): "is required for phone-bill debit: 8 to 30 digits",
        ("billing", "billingFormId"): "is a form for BOLETO",
    }
    tv_only_logins = await _id(session, m.PlanOffer, name="Fibra 100 Mega")
    variables = {
        "input": {
            "customerId": str(customer.id),
            "offerId": gid("PlanOffer", tv_only_logins),
            "installationAddress": {"addressId": "999999999"},
            "billing": {"paymentMethod": "BOLETO", "dueDay": 10},
        }
    }
    data = await run_as(session, ADD, variables)
    assert data["addPlan"]["fields"] == [
        {
            "path": ["installationAddress", "addressId"],
            "message": "is not one of the customer's addresses",
        },
        {"path": ["radiusLogin"], "message": "is required"},
    ]
    assert await count(session, m.Plan, m.Plan.customer_id == customer.id) == plans_before


async def test_registration_rules_refuse_and_save_nothing(session: AsyncSession) -> None:
    customer = await _eligible_customer(session)
    address = await _id(session, m.Address, customer_id=customer.id)
    variables = {
        "input": {
            "customerId": str(customer.id),
            "offerId": gid("PlanOffer", await _id(session, m.PlanOffer, name="Fibra 100 Mega")),
            "installationAddress": {"addressId": str(address)},
            "email": {"login": f"regras{customer.id}", "password": "Boa$enha123"},
            "billing": {"paymentMethod": "BOLETO", "dueDay": 10},
        }
    }
    session.add(
        m.Receivable(
            customer_id=customer.id,
            origin="PLAN_CYCLE",
            description="Mensalidade atrasada",
            amount=10,
            due_date=dt.date.today() - dt.timedelta(days=3),
            status=ReceivableStatus.OPEN,
        )
    )
    customer.email = None
    await session.flush()
    plans_before = await count(session, m.Plan)
    data = await run_as(session, ADD, variables)
    assert data["addPlan"]["rule"] == "CUSTOMER_HAS_EMAIL"
    assert "Informe um e-mail do cliente" in data["addPlan"]["message"]
    checked = await run_as(session, VALIDATE, variables)
    assert checked["validateAddPlan"] == {
        "__typename": "RuleViolation",
        "rule": "CUSTOMER_HAS_EMAIL",
    }

    customer.email = "voltou@example.com.br"
    await session.flush()
    data = await run_as(session, ADD, variables)
    assert data["addPlan"]["rule"] == "NO_OVERDUE_RECEIVABLES"
    assert await count(session, m.Plan) == plans_before
    assert await count(session, m.EmailAccount, m.EmailAccount.login == f"regras{customer.id}") == 0


async def test_validate_checks_a_step_before_the_last(session: AsyncSession, cep_url: str) -> None:
    customer = await _eligible_customer(session)
    settings = Settings(cep_base_url=cep_url)
    step_one = {
        "customerId": str(customer.id),
        "installationAddress": {"newAddress": {"cep": "01001000", "number": "9"}},
    }
    data = await run_as(session, VALIDATE, {"input": step_one}, settings=settings)
    assert data["validateAddPlan"] == {
        "__typename": "AddPlanValid",
        "missingSteps": ["offer", "billing"],
    }
    step_two = {**step_one, "offerId": gid("PlanOffer", await _id(session, m.PlanOffer))}
    data = await run_as(session, VALIDATE, {"input": step_two}, settings=settings)
    assert data["validateAddPlan"]["missingSteps"] == ["login", "billing"]
    wrong = {**step_two, "installationAddress": {"newAddress": {"cep": "12345678", "number": "9"}}}
    data = await run_as(session, VALIDATE, {"input": wrong}, settings=settings)
    assert data["validateAddPlan"]["fields"] == [
        {
            "path": ["installationAddress", "newAddress", "cep"],
            "message": "CEP 12345678 was not found",
        }
    ]
    full = await wizard(session, customer)
    data = await run_as(session, VALIDATE, {"input": full}, settings=settings)
    assert data["validateAddPlan"] == {"__typename": "AddPlanValid", "missingSteps": []}
    # Nothing was saved by any of these checks.
    assert (
        await count(
            session, m.Address, m.Address.customer_id == customer.id, m.Address.cep == "01001000"
        )
        == 0
    )
    assert await count(session, m.Contact, m.Contact.name == "Porteiro José") == 0


async def test_add_plan_refusals(session: AsyncSession) -> None:
    variables = {"input": {"customerId": gid("Customer", 10**8)}}
    data = await run_as(session, ADD, variables)
    assert data["addPlan"] == {"__typename": "NotFound", "entity": "Customer", "id": str(10**8)}
    data = await run_as(session, ADD, variables, identity=Identity.staff("clerk"))
    assert data["addPlan"] == {"__typename": "NotAllowed", "permission": "PLAN_ADMIN"}
    assert await count(session, m.Plan, m.Plan.status == PlanStatus.ACTIVE) > 0
