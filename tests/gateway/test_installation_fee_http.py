"""The contract's installation fee becomes receivables once (manual 001 §5.4.1.1.1.1), over
HTTP as the plan clerk who saves the contract; the billing reader sees the money."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import exists, select
from starlette.applications import Starlette

from domain import models as m
from domain.identity import Identity, Permission
from domain.models.enums import CustomerKind, ReceivableStatus
from domain.rules.extra_services import add_months, next_due_date
from gateway.http.app import create_app
from tests.gateway.helpers import bearer, test_settings
from tests.gateway.plan_helpers import gid
from tests.gateway.tv_support import seeded_database

PLAN_CLERK = Identity.staff("plan-clerk", Permission.PLAN_ADMIN)
BILLING_READER = Identity.staff("financeiro", Permission.BILLING)

SET_CONTRACT = """
mutation ($input: SetContractInput!) { setContract(input: $input) {
  __typename
  ... on SetContractSuccess { contract { installationFee installationInstallments } }
  ... on RuleViolation { rule message }
  ... on ValidationError { fields { path message } }
} }
"""
FEES = """
query ($id: ID!) { node(id: $id) { ... on Plan {
  dueDay contract { installationFee installationInstallments }
  receivables { origin description installmentNumber amount dueDate status }
} } }
"""


@pytest.fixture(scope="module")
def fee_database_url() -> Iterator[str]:
    with seeded_database(customers=20, seed=3) as url:
        yield url


@pytest.fixture
async def app(fee_database_url: str) -> AsyncIterator[Starlette]:
    application = create_app(test_settings(fee_database_url, outbox_worker="off"))
    async with application.router.lifespan_context(application):
        yield application


def client_for(app: Starlette, identity: Identity) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway", headers=bearer(identity)
    )


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def contract(number: str, fee: str, installments: int, validity: int = 12) -> dict[str, Any]:
    return {
        "number": number,
        "saleDate": dt.date.today().isoformat(),
        "installationFee": fee,
        "installationInstallments": installments,
        "validityMonths": validity,
    }


async def fee_receivables(app: Starlette, plan_id: str) -> tuple[dict[str, Any], list[dict]]:
    async with client_for(app, BILLING_READER) as reader:
        plan = (await gql(reader, FEES, id=plan_id))["node"]
    fees = [r for r in plan["receivables"] if r["origin"] == "INSTALLATION_FEE"]
    return plan, sorted(fees, key=lambda r: r["installmentNumber"])


async def test_saving_a_contract_bills_its_fee_once_and_re_saving_never_twice(
    app: Starlette,
) -> None:
    async with client_for(app, PLAN_CLERK) as clerk:
        plan_gid = await add_plan(app, clerk, "fee.later", None)
        _, fees = await fee_receivables(app, plan_gid)
        assert fees == [], "no contract, no fee yet (setContract adds it later)"
        saved = await gql(
            clerk,
            SET_CONTRACT,
            input={"planId": plan_gid, "contract": contract("CT-F1", "150.00", 3)},
        )
        assert saved["setContract"]["__typename"] == "SetContractSuccess", saved
        plan, fees = await fee_receivables(app, plan_gid)
        first = next_due_date(dt.date.today(), plan["dueDay"])
        assert fees == [
            {
                "origin": "INSTALLATION_FEE",
                "description": f"Taxa de instalação {n}/3",
                "installmentNumber": n,
                "amount": "50.00",
                "dueDate": add_months(first, n - 1).isoformat(),
                "status": "OPEN",
            }
            for n in (1, 2, 3)
        ]

        # Saved again (another validity, the same fee): nothing billed twice.
        again = await gql(
            clerk,
            SET_CONTRACT,
            input={"planId": plan_gid, "contract": contract("CT-F1", "150.00", 3, validity=24)},
        )
        assert again["setContract"]["__typename"] == "SetContractSuccess", again
        assert (await fee_receivables(app, plan_gid))[1] == fees

        # A new fee before anything was billed: the fee is planned again, not added.
        changed = await gql(
            clerk,
            SET_CONTRACT,
            input={"planId": plan_gid, "contract": contract("CT-F1", "100.01", 2)},
        )
        assert changed["setContract"]["__typename"] == "SetContractSuccess", changed
        _, fees = await fee_receivables(app, plan_gid)
        assert [(r["installmentNumber"], r["amount"]) for r in fees] == [(1, "50.01"), (2, "50.00")]

        # Once an installment is paid, the fee can no longer change.
        async with app.state.runtime.sessions() as session, session.begin():
            paid = await session.scalar(
                select(m.Receivable)
                .join(m.Plan, m.Plan.id == m.Receivable.plan_id)
                .join(m.Contract, m.Contract.plan_id == m.Plan.id)
                .where(m.Contract.number == "CT-F1", m.Receivable.installment_number == 1)
                .where(m.Receivable.origin == "INSTALLATION_FEE")
            )
            assert paid is not None
            paid.status, paid.paid_at = ReceivableStatus.PAID, dt.datetime.now(dt.UTC)
            paid.paid_amount = paid.amount
        refused = await gql(
            clerk,
            SET_CONTRACT,
            input={"planId": plan_gid, "contract": contract("CT-F1", "120.00", 2)},
        )
        assert refused["setContract"]["rule"] == "INSTALLATION_FEE_BILLED", refused
        plan, after = await fee_receivables(app, plan_gid)
        assert plan["contract"] == {"installationFee": "100.01", "installationInstallments": 2}
        assert [r["amount"] for r in after] == ["50.01", "50.00"]

        unsplittable = await gql(
            clerk,
            SET_CONTRACT,
            input={"planId": plan_gid, "contract": contract("CT-F1", "0.05", 6)},
        )
        assert unsplittable["setContract"]["fields"][0]["path"] == [
            "contract",
            "installationInstallments",
        ]


async def add_plan(
    app: Starlette, clerk: httpx.AsyncClient, login: str, contract: dict[str, Any] | None
) -> str:
    """addPlan by the clerk for a customer the registration rules accept; the plan's id."""
    async with app.state.runtime.sessions() as session:
        overdue = exists().where(
            m.Receivable.customer_id == m.Customer.id,
            m.Receivable.status == ReceivableStatus.OPEN,
            m.Receivable.due_date < dt.date.today(),
        )
        customer = await session.scalar(
            select(m.Customer)
            .where(
                m.Customer.kind == CustomerKind.PERSON,
                m.Customer.email.is_not(None),
                m.Customer.phone.is_not(None),
                ~overdue,
            )
            .order_by(m.Customer.id)
            .limit(1)
        )
        assert customer is not None
        address = await session.scalar(
            select(m.Address.id).where(m.Address.customer_id == customer.id).limit(1)
        )
        offer = await session.scalar(
            select(m.PlanOffer.id)
            .where(m.PlanOffer.is_tv_offer.is_(False), m.PlanOffer.active.is_(True))
            .order_by(m.PlanOffer.id)
            .limit(1)
        )
    assert address is not None and offer is not None
    wizard: dict[str, Any] = {
        "customerId": gid("Customer", customer.id),
        "offerId": gid("PlanOffer", offer),
        "installationAddress": {"addressId": gid("Address", address)},
        "radiusLogin": {"login": login, "password": "S3nha!Forte#2026"},
        "billing": {"paymentMethod": "BOLETO", "dueDay": 20},
    }
    if contract is not None:
        wizard["contract"] = contract
    added = await gql(
        clerk,
        """mutation ($input: AddPlanInput!) { addPlan(input: $input) {
             __typename ... on AddPlanSuccess { plan { id } }
             ... on ValidationError { fields { path message } }
             ... on RuleViolation { rule } } }""",
        input=wizard,
    )
    assert added["addPlan"]["__typename"] == "AddPlanSuccess", added
    return str(added["addPlan"]["plan"]["id"])


async def test_add_plan_with_a_contract_bills_its_fee(app: Starlette) -> None:
    async with client_for(app, PLAN_CLERK) as clerk:
        plan_id = await add_plan(app, clerk, "fee.wizard", contract("CT-F2", "99.90", 2))
    _, fees = await fee_receivables(app, plan_id)
    first = next_due_date(dt.date.today(), 20)
    assert [(r["amount"], r["dueDate"]) for r in fees] == [
        ("49.95", first.isoformat()),
        ("49.95", add_months(first, 1).isoformat()),
    ]
