"""Adicionar Serviço through the schema: every kind, what each refuses, passwords, and removal.

Each test runs in the rolled-back transaction of the `session` fixture, on the seeded data.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain import credentials
from domain import models as m
from domain.actions.extra_services import today
from domain.identity import Identity, Permission, Role
from domain.models.enums import PlanStatus, ServiceKind, ServiceStatus
from domain.rules import services as service_rules
from domain.rules.extra_services import next_due_date
from gateway.schema.base import to_global_id
from gateway.settings import Settings
from simulators.registry import RegistryState, running_registry
from tests.gateway.helpers import UNREACHABLE
from tests.gateway.service_helpers import execute, mutation, plan_gid, plan_of

BASIC = "Fibra 100 Mega"  # e-mail, alias, RADIUS login, extra service, antivirus
FIBER_300 = "Fibra 300 Mega"  # ... plus ONU and voice terminal
FIBER_600 = "Fibra 600 Mega"  # ... plus IP from the "Clientes Fibra" pool
BUSINESS = "Empresarial Link Dedicado 200"  # requires a domain; circuit, domain, IP, no ONU

ADD_RADIUS = mutation(
    "addRadiusLogin",
    "AddRadiusLoginInput",
    "AddRadiusLoginSuccess",
    "service { id databaseId login domain fixedIp status kind } plan { databaseId } "
    "passwordStrength { score band requirementsMet }",
)
ADD_EMAIL = mutation(
    "addEmail",
    "AddEmailInput",
    "AddEmailSuccess",
    "service { id databaseId address quotaMb status } passwordStrength { score band }",
)
ADD_ALIAS = mutation(
    "addEmailAlias",
    "AddEmailAliasInput",
    "AddEmailAliasSuccess",
    "service { id databaseId address email { databaseId address } }",
)
ADD_IP = mutation(
    "addIpAddress",
    "AddIpAddressInput",
    "AddIpAddressSuccess",
    "service { id databaseId address releasedAt pool { name network } }",
)
ADD_VOICE = mutation(
    "addVoiceTerminal",
    "AddVoiceTerminalInput",
    "AddVoiceTerminalSuccess",
    "service { databaseId phoneNumber sipUsername }",
)
ADD_ONU = mutation(
    "addOnu", "AddOnuInput", "AddOnuSuccess", "service { databaseId serial olt ponPort }"
)
ADD_CIRCUIT = mutation(
    "addCircuit",
    "AddCircuitInput",
    "AddCircuitSuccess",
    "service { databaseId identifier bandwidthKbps endpointA endpointB }",
)
ADD_DOMAIN = mutation(
    "addDomain",
    "AddDomainInput",
    "AddDomainSuccess",
    "service { databaseId name registered registrationYears expiresOn }",
)
REGISTER_DOMAIN = mutation(
    "registerDomain",
    "RegisterDomainInput",
    "RegisterDomainSuccess",
    "service { databaseId name registered registrationYears expiresOn }",
)
ADD_EXTRA = mutation(
    "addExtraService",
    "AddExtraServiceInput",
    "AddExtraServiceSuccess",
    "service { id databaseId value complement startDate billingType firstDueDate installments "
    "notes status definition { name } contact { databaseId } } "
    "receivables { databaseId installmentNumber amount dueDate status origin }",
)
CANCEL_EXTRA = mutation(
    "cancelExtraService",
    "CancelExtraServiceInput",
    "CancelExtraServiceSuccess",
    "service { status endedAt } keptReceivables { databaseId } droppedInstallments",
)
ADD_ANTIVIRUS = mutation(
    "addAntivirus",
    "AddAntivirusInput",
    "AddAntivirusSuccess",
    "service { id databaseId licenseKey licenseStatus status seats }",
)
LICENCE = "service { licenseStatus status } plan { databaseId }"
ACTIVATE = mutation(
    "activateAntivirus", "ActivateAntivirusInput", "AntivirusLicenseSuccess", LICENCE
)
SUSPEND = mutation("suspendAntivirus", "SuspendAntivirusInput", "AntivirusLicenseSuccess", LICENCE)
DELETE_ANTIVIRUS = mutation(
    "deleteAntivirus", "DeleteAntivirusInput", "RemoveServiceSuccess", "service { status endedAt }"
)
CHANGE_PASSWORD = mutation(
    "changeServicePassword",
    "ChangeServicePasswordInput",
    "ChangeServicePasswordSuccess",
    "service { databaseId kind } passwordStrength { score band }",
)
REMOVE = mutation(
    "removeService",
    "RemoveServiceInput",
    "RemoveServiceSuccess",
    "service { databaseId status endedAt ... on IpAddress { releasedAt } } "
    "ended { databaseId kind status } plan { databaseId }",
)
PLAN_SERVICES = """
query ($id: ID!, $kind: [ServiceKind!]) {
  node(id: $id) {
    ... on Plan {
      services(kind: $kind) {
        __typename databaseId kind status
        ... on RadiusLogin { login fixedIp }
        ... on EmailAccount { address }
        ... on EmailAlias { address }
        ... on IpAddress { address releasedAt }
        ... on ExtraService { value installments }
        ... on AntivirusLicense { licenseStatus }
      }
      receivables { databaseId origin amount dueDate }
    }
  }
}
"""

PASSWORD = "Kx7#pLm2$vQz"  # VERY_STRONG by the meter


@pytest.fixture(scope="module")
def registry() -> Iterator[tuple[str, RegistryState]]:
    with running_registry(taken=["ocupado.com.br"]) as served:
        yield served


def _only(data: dict[str, Any]) -> dict[str, Any]:
    (value,) = data.values()
    return value  # type: ignore[no-any-return]


async def _plan_services(session: AsyncSession, plan: m.Plan | int, *kinds: str) -> list[dict]:
    data = await execute(
        session, PLAN_SERVICES, {"id": plan_gid(plan), "kind": list(kinds) or None}
    )
    return data["node"]["services"]  # type: ignore[no-any-return]


async def _service_row(session: AsyncSession, model: type, service_id: int) -> Any:
    return await session.scalar(
        select(model).where(model.id == service_id).execution_options(populate_existing=True)
    )


async def _audit_rows(session: AsyncSession, target_id: int) -> list[m.AuditLog]:
    statement = select(m.AuditLog).where(
        m.AuditLog.target_type == "Service", m.AuditLog.target_id == target_id
    )
    return list(await session.scalars(statement.order_by(m.AuditLog.id)))


# --- RADIUS logins --------------------------------------------------------------------------


async def test_radius_login_is_generated_from_the_pattern_and_hashed(session: AsyncSession) -> None:
    plan = await plan_of(session, BASIC)
    customer = await session.get(m.Customer, plan.customer_id)
    assert customer is not None
    base = service_rules.generated_login(
        "{first_name}.{plan_id}",
        service_rules.login_pattern_values(
            customer_name=customer.name, customer_id=customer.id, plan_id=plan.id
        ),
    )
    # The seed gave the plan its own login already, so the generator moves on to "-2".
    assert await session.scalar(select(m.RadiusLogin.id).where(m.RadiusLogin.login == base))

    result = _only(
        await execute(
            session, ADD_RADIUS, {"input": {"planId": plan_gid(plan), "password": PASSWORD}}
        )
    )
    assert result["__typename"] == "AddRadiusLoginSuccess", result
    service = result["service"]
    assert service["login"] == f"{base}-2"
    assert (service["kind"], service["status"]) == ("RADIUS_LOGIN", "ACTIVE")
    assert result["passwordStrength"] == {
        "score": 100,
        "band": "VERY_STRONG",
        "requirementsMet": True,
    }

    row = await _service_row(session, m.RadiusLogin, service["databaseId"])
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert credentials.verify_password(row.password_hash, PASSWORD)
    read_back = await _plan_services(session, plan, "RADIUS_LOGIN")
    assert {"login": f"{base}-2", "fixedIp": None} in [
        {"login": s["login"], "fixedIp": s["fixedIp"]} for s in read_back
    ]
    (audit,) = await _audit_rows(session, service["databaseId"])
    assert audit.action == "addRadiusLogin" and audit.after is not None
    assert "password_hash" not in audit.after and audit.after["login"] == f"{base}-2"


async def test_a_given_login_is_used_lower_cased(session: AsyncSession) -> None:
    plan = await plan_of(session, BASIC, skip=1)
    result = _only(
        await execute(
            session,
            ADD_RADIUS,
            {"input": {"planId": plan_gid(plan), "login": "Cliente.Novo", "password": PASSWORD}},
        )
    )
    assert result["service"]["login"] == "cliente.novo"


async def test_radius_login_refusals(session: AsyncSession) -> None:
    plan = await plan_of(session, BASIC)
    taken = await session.scalar(select(m.RadiusLogin.login).order_by(m.RadiusLogin.id).limit(1))

    async def add(**fields: Any) -> dict[str, Any]:
        payload = {"planId": plan_gid(plan), "password": PASSWORD, **fields}
        return _only(await execute(session, ADD_RADIUS, {"input": payload}))

    result = await add(login=taken)
    assert result["__typename"] == "ValidationError"
    assert result["fields"] == [{"path": ["login"], "message": f"{taken} is already taken"}]

    result = await add(login="ok.login", password="password")
    assert result["__typename"] == "ValidationError" and result["fields"][0]["path"] == ["password"]
    assert "scores 8 of 100" in result["fields"][0]["message"]
    result = await add(login="Same.As.Login1", password="same.as.login1")
    assert "equals the login" in result["fields"][0]["message"]

    result = await add(login="bad login", domain="not a domain", fixedIp="999.1.1.1", password="")
    assert result["__typename"] == "ValidationError"
    assert {tuple(f["path"]) for f in result["fields"]} == {
        ("login",),
        ("domain",),
        ("fixedIp",),
        ("password",),
    }
    result = await add(fixedIp="177.54.144.77")
    assert result["fields"][0]["path"] == ["fixedIp"]
    assert "not an address this plan holds" in result["fields"][0]["message"]

    await session.execute(
        update(m.SystemVariable)
        .where(m.SystemVariable.key == "radius_login_pattern")
        .values(value="{apelido}.{plan_id}")
    )
    result = await add()
    assert (result["__typename"], result["rule"]) == (
        "RuleViolation",
        "RADIUS_LOGIN_PATTERN_INVALID",
    )
    await session.execute(
        update(m.SystemVariable)
        .where(m.SystemVariable.key == "auto_generate_radius_login")
        .values(value="false")
    )
    result = await add()
    assert result["fields"] == [
        {"path": ["login"], "message": "is required: automatic logins are switched off"}
    ]


async def test_an_offer_that_requires_a_domain_and_a_fixed_ip(session: AsyncSession) -> None:
    plan = await plan_of(session, BUSINESS)
    result = _only(
        await execute(
            session,
            ADD_RADIUS,
            {"input": {"planId": plan_gid(plan), "login": "empresa.x", "password": PASSWORD}},
        )
    )
    assert result["fields"] == [{"path": ["domain"], "message": "is required by the plan's offer"}]

    ip = _only(await execute(session, ADD_IP, {"input": {"planId": plan_gid(plan)}}))
    address = ip["service"]["address"]
    result = _only(
        await execute(
            session,
            ADD_RADIUS,
            {
                "input": {
                    "planId": plan_gid(plan),
                    "login": "empresa.x",
                    "domain": "Empresa-X.com.br",
                    "fixedIp": address,
                    "password": PASSWORD,
                }
            },
        )
    )
    assert result["__typename"] == "AddRadiusLoginSuccess", result
    assert (result["service"]["domain"], result["service"]["fixedIp"]) == (
        "empresa-x.com.br",
        address,
    )
    # Removing the IP takes it back to the pool and off the login that used it.
    removed = _only(await execute(session, REMOVE, {"input": {"serviceId": ip["service"]["id"]}}))
    assert removed["service"]["releasedAt"] is not None
    logins = await _plan_services(session, plan, "RADIUS_LOGIN")
    assert [s["fixedIp"] for s in logins if s["login"] == "empresa.x"] == [None]


# --- e-mail and aliases ---------------------------------------------------------------------


async def test_mailbox_alias_and_their_shared_address_space(session: AsyncSession) -> None:
    plan = await plan_of(session, BASIC)
    mailbox = _only(
        await execute(
            session,
            ADD_EMAIL,
            {"input": {"planId": plan_gid(plan), "login": "Contato.Loja", "password": PASSWORD}},
        )
    )
    assert mailbox["__typename"] == "AddEmailSuccess", mailbox
    assert mailbox["service"]["address"] == "contato.loja@provedor.net.br"  # the ISP's domain
    assert mailbox["service"]["quotaMb"] == 1024
    mailbox_row = await _service_row(session, m.EmailAccount, mailbox["service"]["databaseId"])
    assert credentials.verify_password(mailbox_row.password_hash, PASSWORD)

    alias = _only(
        await execute(
            session, ADD_ALIAS, {"input": {"emailId": mailbox["service"]["id"], "login": "vendas"}}
        )
    )
    assert alias["__typename"] == "AddEmailAliasSuccess", alias
    assert alias["service"]["address"] == "vendas@provedor.net.br"
    assert alias["service"]["email"]["address"] == "contato.loja@provedor.net.br"

    # A mailbox may not take an alias's address, nor an alias a mailbox's.
    clash = _only(
        await execute(
            session,
            ADD_EMAIL,
            {"input": {"planId": plan_gid(plan), "login": "vendas", "password": PASSWORD}},
        )
    )
    assert clash["fields"] == [
        {"path": ["login"], "message": "vendas@provedor.net.br is already taken"}
    ]
    clash = _only(
        await execute(
            session,
            ADD_ALIAS,
            {"input": {"emailId": mailbox["service"]["id"], "login": "contato.loja"}},
        )
    )
    assert clash["__typename"] == "ValidationError"

    # The mailbox's address is refused as its password, case aside.
    weak = _only(
        await execute(
            session,
            ADD_EMAIL,
            {
                "input": {
                    "planId": plan_gid(plan),
                    "login": "outra",
                    "domain": "loja.com.br",
                    "password": "OUTRA@loja.com.br",
                    "quotaMb": 0,
                }
            },
        )
    )
    assert [f["path"] for f in weak["fields"]] == [["quotaMb"]]
    weak = _only(
        await execute(
            session,
            ADD_EMAIL,
            {
                "input": {
                    "planId": plan_gid(plan),
                    "login": "outra",
                    "password": "OUTRA@provedor.net.br",
                }
            },
        )
    )
    assert "equals the login or e-mail" in weak["fields"][0]["message"]

    await session.execute(delete(m.SystemVariable).where(m.SystemVariable.key == "email_domain"))
    no_domain = _only(
        await execute(
            session,
            ADD_EMAIL,
            {"input": {"planId": plan_gid(plan), "login": "sem.dominio", "password": PASSWORD}},
        )
    )
    assert no_domain["fields"] == [
        {"path": ["domain"], "message": "is required: no default e-mail domain is set"}
    ]

    # Removing the mailbox ends its alias too.
    removed = _only(
        await execute(session, REMOVE, {"input": {"serviceId": mailbox["service"]["id"]}})
    )
    assert removed["__typename"] == "RemoveServiceSuccess", removed
    assert {(s["kind"], s["status"]) for s in removed["ended"]} == {
        ("EMAIL", "CANCELLED"),
        ("EMAIL_ALIAS", "CANCELLED"),
    }
    late = _only(
        await execute(
            session, ADD_ALIAS, {"input": {"emailId": mailbox["service"]["id"], "login": "novo"}}
        )
    )
    assert (late["__typename"], late["rule"]) == ("RuleViolation", "SERVICE_ENDED")
    unknown = _only(
        await execute(
            session,
            ADD_ALIAS,
            {"input": {"emailId": to_global_id("RadiusLogin", 1), "login": "novo"}},
        )
    )
    assert unknown["__typename"] == "NotFound"


# --- what a plan takes ----------------------------------------------------------------------


async def test_the_offer_decides_and_a_cancelled_plan_takes_nothing(session: AsyncSession) -> None:
    basic = await plan_of(session, BASIC)
    onu = {"planId": plan_gid(basic), "serial": "FHTT0000AAAA", "olt": "OLT-1", "ponPort": 1}
    result = _only(await execute(session, ADD_ONU, {"input": onu}))
    assert (result["__typename"], result["rule"]) == (
        "RuleViolation",
        "SERVICE_KIND_NOT_ALLOWED_BY_OFFER",
    )
    cancelled = await plan_of(session, BASIC, status=PlanStatus.CANCELLED)
    result = _only(
        await execute(
            session,
            ADD_EMAIL,
            {"input": {"planId": plan_gid(cancelled), "login": "tarde", "password": PASSWORD}},
        )
    )
    assert (result["__typename"], result["rule"]) == ("RuleViolation", "PLAN_CANCELLED")
    # An inactive plan (e.g. awaiting installation) still takes services.
    inactive = await plan_of(session, "Fibra Rural 50 Mega", status=PlanStatus.INACTIVE)
    result = _only(
        await execute(
            session,
            ADD_EMAIL,
            {"input": {"planId": plan_gid(inactive), "login": "rural.1", "password": PASSWORD}},
        )
    )
    assert result["__typename"] == "AddEmailSuccess"

    for plan_id in (plan_gid(10**8), to_global_id("Customer", basic.id), "not-an-id"):
        result = _only(
            await execute(
                session,
                ADD_EMAIL,
                {"input": {"planId": plan_id, "login": "x1", "password": PASSWORD}},
            )
        )
        assert (result["__typename"], result["entity"]) == ("NotFound", "Plan")


async def test_staff_without_plan_admin_may_not(session: AsyncSession) -> None:
    plan = await plan_of(session, FIBER_300)
    clerk = Identity.staff("clerk", Permission.CUSTOMER_ADMIN)
    before = await session.scalar(select(func.count()).select_from(m.Service))
    on_plan = {"planId": plan_gid(plan)}
    cases = [
        (ADD_EMAIL, {**on_plan, "login": "x1", "password": PASSWORD}),
        (ADD_ALIAS, {"emailId": "1", "login": "x1"}),
        (ADD_RADIUS, {**on_plan, "password": PASSWORD}),
        (ADD_IP, on_plan),
        (ADD_VOICE, {**on_plan, "phoneNumber": "+551133334444"}),
        (ADD_ONU, {**on_plan, "serial": "FHTT0000AAAA", "olt": "OLT-1", "ponPort": 1}),
        (ADD_DOMAIN, {**on_plan, "name": "a-b.com.br"}),
        (REGISTER_DOMAIN, {**on_plan, "name": "a-b.com.br", "years": 1}),
        (
            ADD_CIRCUIT,
            {**on_plan, "identifier": "C", "bandwidthKbps": 1, "endpointA": "a", "endpointB": "b"},
        ),
        (ADD_EXTRA, {**on_plan, "definitionId": "1", "firstDueDate": today().isoformat()}),
        (ADD_ANTIVIRUS, on_plan),
        (ACTIVATE, {"serviceId": "1"}),
        (SUSPEND, {"serviceId": "1"}),
        (DELETE_ANTIVIRUS, {"serviceId": "1"}),
        (REMOVE, {"serviceId": "1"}),
        (CHANGE_PASSWORD, {"serviceId": "1", "password": PASSWORD}),
        (CANCEL_EXTRA, {"serviceId": "1"}),
    ]
    for document, payload in cases:
        result = _only(await execute(session, document, {"input": payload}, identity=clerk))
        assert (result["__typename"], result["permission"]) == ("NotAllowed", "PLAN_ADMIN")
    result = _only(await execute(session, AVAILABILITY, {"name": "a-b.com.br"}, identity=clerk))
    assert (result["__typename"], result["permission"]) == ("NotAllowed", "PLAN_ADMIN")
    assert await session.scalar(select(func.count()).select_from(m.Service)) == before
    subscriber = Identity(subject="portal", role=Role.SUBSCRIBER, customer_id=plan.customer_id)
    result = _only(await execute(session, ADD_IP, {"input": on_plan}, identity=subscriber))
    assert result["__typename"] == "NotAllowed"


# --- IP addresses ---------------------------------------------------------------------------


async def _lowest_free(session: AsyncSession, pool: m.IpPool) -> str:
    held = set(
        await session.scalars(
            select(m.IpAssignment.address).where(
                m.IpAssignment.pool_id == pool.id, m.IpAssignment.released_at.is_(None)
            )
        )
    )
    for host in ipaddress.ip_network(pool.network).hosts():
        if str(host) != pool.gateway and str(host) not in held:
            return str(host)
    raise AssertionError("pool full")


async def test_ip_comes_from_the_pool_and_goes_back_to_it(session: AsyncSession) -> None:
    plan = await plan_of(session, FIBER_600)
    offer = await session.get(m.PlanOffer, plan.offer_id)
    pool = await session.get(m.IpPool, offer.ip_pool_id)  # type: ignore[union-attr]
    assert pool is not None
    expected = await _lowest_free(session, pool)

    first = _only(await execute(session, ADD_IP, {"input": {"planId": plan_gid(plan)}}))
    assert first["__typename"] == "AddIpAddressSuccess", first
    assert first["service"]["address"] == expected
    assert first["service"]["pool"] == {"name": pool.name, "network": pool.network}
    second = _only(await execute(session, ADD_IP, {"input": {"planId": plan_gid(plan)}}))
    assert second["service"]["address"] not in (expected, pool.gateway)
    assert ipaddress.ip_address(second["service"]["address"]) in ipaddress.ip_network(pool.network)

    again = _only(
        await execute(session, ADD_IP, {"input": {"planId": plan_gid(plan), "address": expected}})
    )
    assert again["fields"] == [{"path": ["address"], "message": f"{expected} is already held"}]
    outside = _only(
        await execute(session, ADD_IP, {"input": {"planId": plan_gid(plan), "address": "10.9.9.9"}})
    )
    assert "is not in the plan's pool" in outside["fields"][0]["message"]

    removed = _only(
        await execute(session, REMOVE, {"input": {"serviceId": first["service"]["id"]}})
    )
    assert removed["service"]["status"] == "CANCELLED" and removed["service"]["releasedAt"]
    reused = _only(await execute(session, ADD_IP, {"input": {"planId": plan_gid(plan)}}))
    assert reused["service"]["address"] == expected  # back in the pool, lowest again
    chosen = _only(
        await execute(
            session,
            ADD_IP,
            {
                "input": {
                    "planId": plan_gid(plan),
                    "address": str(ipaddress.ip_address(expected) + 200),
                }
            },
        )
    )
    assert chosen["__typename"] == "AddIpAddressSuccess", chosen
    read_back = await _plan_services(session, plan, "IP")
    held = [s["address"] for s in read_back if s["releasedAt"] is None]
    assert expected in held and second["service"]["address"] in held


async def test_an_exhausted_pool_and_an_offer_without_one(session: AsyncSession) -> None:
    plan = await plan_of(session, FIBER_600)
    tiny = m.IpPool(name="Teste /30", network="10.250.0.0/30", gateway="10.250.0.1")
    session.add(tiny)
    await session.flush()
    await session.execute(
        update(m.PlanOffer).where(m.PlanOffer.id == plan.offer_id).values(ip_pool_id=tiny.id)
    )
    first = _only(await execute(session, ADD_IP, {"input": {"planId": plan_gid(plan)}}))
    assert first["service"]["address"] == "10.250.0.2"  # the only host that is not the gateway
    full = _only(await execute(session, ADD_IP, {"input": {"planId": plan_gid(plan)}}))
    assert (full["__typename"], full["rule"]) == ("RuleViolation", "IP_POOL_EXHAUSTED")
    assert "10.250.0.0/30" in full["message"]

    await session.execute(
        update(m.PlanOffer).where(m.PlanOffer.id == plan.offer_id).values(ip_pool_id=None)
    )
    none = _only(await execute(session, ADD_IP, {"input": {"planId": plan_gid(plan)}}))
    assert (none["__typename"], none["rule"]) == ("RuleViolation", "OFFER_HAS_NO_IP_POOL")


# --- voice, ONU, circuit --------------------------------------------------------------------


async def test_voice_terminal_onu_and_circuit(session: AsyncSession) -> None:
    fiber = await plan_of(session, FIBER_300)
    business = await plan_of(session, BUSINESS)
    voice = {
        "planId": plan_gid(fiber),
        "phoneNumber": "+55 (11) 3999-0001",
        "sipUsername": "sip-x1",
    }
    result = _only(await execute(session, ADD_VOICE, {"input": voice}))
    assert result["service"] == {
        "databaseId": result["service"]["databaseId"],
        "phoneNumber": "+551139990001",
        "sipUsername": "sip-x1",
    }
    result = _only(await execute(session, ADD_VOICE, {"input": voice}))
    assert result["fields"] == [
        {"path": ["phoneNumber"], "message": "+551139990001 is already in use"}
    ]
    result = _only(
        await execute(session, ADD_VOICE, {"input": {**voice, "phoneNumber": "+551139990002"}})
    )
    assert result["fields"] == [{"path": ["sipUsername"], "message": "sip-x1 is already in use"}]

    onu = {"planId": plan_gid(fiber), "serial": "zte0c0ffee01", "olt": " OLT Centro ", "ponPort": 3}
    result = _only(await execute(session, ADD_ONU, {"input": onu}))
    assert {k: v for k, v in result["service"].items() if k != "databaseId"} == {
        "serial": "ZTE0C0FFEE01",
        "olt": "OLT Centro",
        "ponPort": 3,
    }
    result = _only(await execute(session, ADD_ONU, {"input": onu}))
    assert result["__typename"] == "ValidationError"
    result = _only(
        await execute(
            session, ADD_ONU, {"input": {**onu, "serial": "x", "olt": " ", "ponPort": -1}}
        )
    )
    assert {f["path"][0] for f in result["fields"]} == {"serial", "olt", "ponPort"}

    circuit = {
        "planId": plan_gid(business),
        "identifier": "CIR-TESTE-1",
        "bandwidthKbps": 200_000,
        "endpointA": "POP Centro",
        "endpointB": "Matriz do cliente",
    }
    result = _only(await execute(session, ADD_CIRCUIT, {"input": circuit}))
    assert result["service"]["identifier"] == "CIR-TESTE-1"
    result = _only(await execute(session, ADD_CIRCUIT, {"input": circuit}))
    assert result["fields"][0]["path"] == ["identifier"]
    result = _only(
        await execute(
            session, ADD_CIRCUIT, {"input": {**circuit, "identifier": "C2", "bandwidthKbps": 0}}
        )
    )
    assert result["fields"][0]["path"] == ["bandwidthKbps"]
    result = _only(
        await execute(session, ADD_CIRCUIT, {"input": {**circuit, "planId": plan_gid(fiber)}})
    )
    assert result["rule"] == "SERVICE_KIND_NOT_ALLOWED_BY_OFFER"


# --- domains --------------------------------------------------------------------------------

AVAILABILITY = """
query ($name: String!) {
  domainAvailability(name: $name) {
    __typename
    ... on DomainAvailability { name available }
    ...Errors
  }
}
"""


async def test_domains_hosted_checked_and_registered(
    session: AsyncSession, registry: tuple[str, RegistryState]
) -> None:
    url, state = registry
    settings = Settings(registry_base_url=url)
    plan = await plan_of(session, BUSINESS)

    async def run(document: str, variables: dict[str, Any]) -> dict[str, Any]:
        return _only(await execute(session, document, variables, settings=settings))

    assert await run(AVAILABILITY, {"name": "Ocupado.com.br"}) == {
        "__typename": "DomainAvailability",
        "name": "ocupado.com.br",
        "available": False,
    }
    assert (await run(AVAILABILITY, {"name": "loja-nova.com.br"}))["available"] is True
    bad = await run(AVAILABILITY, {"name": "loja nova"})
    assert bad["__typename"] == "ValidationError" and bad["fields"][0]["path"] == ["name"]

    hosted = await run(
        ADD_DOMAIN, {"input": {"planId": plan_gid(plan), "name": "Minha-Loja.com.br"}}
    )
    assert {k: v for k, v in hosted["service"].items() if k != "databaseId"} == {
        "name": "minha-loja.com.br",
        "registered": False,
        "registrationYears": None,
        "expiresOn": None,
    }
    twice = await run(
        ADD_DOMAIN, {"input": {"planId": plan_gid(plan), "name": "minha-loja.com.br"}}
    )
    assert twice["fields"] == [{"path": ["name"], "message": "minha-loja.com.br is already hosted"}]

    registered = await run(
        REGISTER_DOMAIN,
        {"input": {"planId": plan_gid(plan), "name": "loja-nova.com.br", "years": 2}},
    )
    assert registered["__typename"] == "RegisterDomainSuccess", registered
    now = dt.date.today()  # the simulator's clock; 29 February becomes the 28th
    leap_day = (now.month, now.day) == (2, 29)
    expected_expiry = now.replace(year=now.year + 2, day=28 if leap_day else now.day)
    assert registered["service"]["registered"] is True
    assert registered["service"]["registrationYears"] == 2
    assert registered["service"]["expiresOn"] == expected_expiry.isoformat()
    assert state.holders["loja-nova.com.br"][0] == f"customer-{plan.customer_id}"

    # The hosted (unregistered) domain is registered in place: still one service.
    in_place = await run(
        REGISTER_DOMAIN,
        {"input": {"planId": plan_gid(plan), "name": "minha-loja.com.br", "years": 1}},
    )
    assert in_place["service"]["databaseId"] == hosted["service"]["databaseId"]
    assert in_place["service"]["registered"] is True

    taken = await run(
        REGISTER_DOMAIN, {"input": {"planId": plan_gid(plan), "name": "ocupado.com.br", "years": 1}}
    )
    assert (taken["__typename"], taken["rule"]) == ("RuleViolation", "DOMAIN_NOT_AVAILABLE")
    again = await run(
        REGISTER_DOMAIN,
        {"input": {"planId": plan_gid(plan), "name": "loja-nova.com.br", "years": 1}},
    )
    assert again["fields"] == [
        {"path": ["name"], "message": "loja-nova.com.br is already registered"}
    ]
    years = await run(
        REGISTER_DOMAIN, {"input": {"planId": plan_gid(plan), "name": "x-y.com.br", "years": 0}}
    )
    assert years["fields"][0]["path"] == ["years"]

    other_plan = await plan_of(session, BUSINESS, skip=1)
    elsewhere = await run(
        REGISTER_DOMAIN,
        {"input": {"planId": plan_gid(other_plan), "name": "minha-loja.com.br", "years": 1}},
    )
    assert elsewhere["fields"] == [
        {"path": ["name"], "message": "minha-loja.com.br is already registered"}
    ]
    await run(ADD_DOMAIN, {"input": {"planId": plan_gid(other_plan), "name": "so-aqui.com.br"}})
    elsewhere = await run(
        REGISTER_DOMAIN, {"input": {"planId": plan_gid(plan), "name": "so-aqui.com.br", "years": 1}}
    )
    assert elsewhere["fields"] == [
        {"path": ["name"], "message": "so-aqui.com.br is hosted elsewhere"}
    ]
    down = _only(
        await execute(
            session,
            REGISTER_DOMAIN,
            {"input": {"planId": plan_gid(plan), "name": "fora-do-ar.com.br", "years": 1}},
            settings=Settings(**UNREACHABLE, registry_base_url=UNREACHABLE["cep_base_url"]),
        )
    )
    assert (down["__typename"], down["rule"]) == ("RuleViolation", "DOMAIN_REGISTRY_UNAVAILABLE")

    unconfigured = _only(
        await execute(
            session,
            REGISTER_DOMAIN,
            {"input": {"planId": plan_gid(plan), "name": "sem-registro.com.br", "years": 1}},
        )
    )
    assert unconfigured["rule"] == "DOMAIN_REGISTRY_NOT_CONFIGURED"
    down = _only(
        await execute(
            session,
            AVAILABILITY,
            {"name": "qualquer.com.br"},
            settings=Settings(**UNREACHABLE, registry_base_url=UNREACHABLE["cep_base_url"]),
        )
    )
    assert (down["__typename"], down["rule"]) == ("RuleViolation", "DOMAIN_REGISTRY_UNAVAILABLE")
    names = {s["databaseId"] for s in await _plan_services(session, plan, "DOMAIN")}
    assert {hosted["service"]["databaseId"], registered["service"]["databaseId"]} <= names


# --- extra services -------------------------------------------------------------------------


async def _definition(session: AsyncSession, name: str) -> m.ExtraServiceDefinition:
    row = await session.scalar(
        select(m.ExtraServiceDefinition).where(m.ExtraServiceDefinition.name == name)
    )
    assert row is not None
    return row


async def _own_contact(session: AsyncSession, plan: m.Plan) -> m.Contact | None:
    return await session.scalar(
        select(m.Contact).where(m.Contact.customer_id == plan.customer_id).limit(1)
    )


async def _plan_with_contact(session: AsyncSession) -> tuple[m.Plan, m.Contact]:
    for skip in range(40):
        plan = await plan_of(session, BASIC, skip=skip)
        contact = await _own_contact(session, plan)
        if contact is not None:
            return plan, contact
    raise AssertionError("no plan whose customer has a contact")


async def test_extra_service_with_installments_then_cancelled(session: AsyncSession) -> None:
    plan, contact = await _plan_with_contact(session)
    definition = await _definition(session, "Instalação de ponto adicional")  # INSTALLMENTS, TODAY
    first_due = today() + dt.timedelta(days=10)
    result = _only(
        await execute(
            session,
            ADD_EXTRA,
            {
                "input": {
                    "planId": plan_gid(plan),
                    "definitionId": to_global_id("ExtraServiceDefinition", definition.id),
                    "firstDueDate": first_due.isoformat(),
                    "installments": 3,
                    "value": "100.00",
                    "complement": "Quarto dos fundos",
                    "contactId": to_global_id("Contact", contact.id),
                    "notes": "Cliente pediu à tarde",
                }
            },
        )
    )
    assert result["__typename"] == "AddExtraServiceSuccess", result
    service = result["service"]
    assert service["startDate"] == today().isoformat()  # the catalog's rule: TODAY
    assert service["billingType"] == "INSTALLMENTS"  # from the catalog
    assert (service["value"], service["installments"], service["status"]) == ("100.00", 3, "ACTIVE")
    assert service["definition"] == {"name": "Instalação de ponto adicional"}
    assert service["contact"] == {"databaseId": contact.id}
    receivables = result["receivables"]
    assert [
        (r["installmentNumber"], r["amount"], r["status"], r["origin"]) for r in receivables
    ] == [
        (1, "33.34", "OPEN", "EXTRA_SERVICE"),
        (2, "33.33", "OPEN", "EXTRA_SERVICE"),
        (3, "33.33", "OPEN", "EXTRA_SERVICE"),
    ]
    assert receivables[0]["dueDate"] == first_due.isoformat()
    read_back = await execute(
        session, PLAN_SERVICES, {"id": plan_gid(plan), "kind": ["EXTRA_SERVICE"]}
    )
    assert service["databaseId"] in [s["databaseId"] for s in read_back["node"]["services"]]
    assert {r["databaseId"] for r in receivables} <= {
        r["databaseId"] for r in read_back["node"]["receivables"]
    }

    # The first installment went out on a boleto: cancelling keeps it, drops the other two.
    await session.execute(
        update(m.Receivable)
        .where(m.Receivable.id == receivables[0]["databaseId"])
        .values(billed_at=dt.datetime.now(dt.UTC))
    )
    cancelled = _only(await execute(session, CANCEL_EXTRA, {"input": {"serviceId": service["id"]}}))
    assert cancelled["__typename"] == "CancelExtraServiceSuccess", cancelled
    assert cancelled["service"]["status"] == "CANCELLED" and cancelled["service"]["endedAt"]
    assert cancelled["droppedInstallments"] == 2
    assert cancelled["keptReceivables"] == [{"databaseId": receivables[0]["databaseId"]}]
    left = set(
        await session.scalars(
            select(m.Receivable.id).where(m.Receivable.extra_service_id == service["databaseId"])
        )
    )
    assert left == {receivables[0]["databaseId"]}

    missing = _only(await execute(session, CANCEL_EXTRA, {"input": {"serviceId": str(10**8)}}))
    assert (missing["__typename"], missing["entity"]) == ("NotFound", "ExtraService")
    again = _only(await execute(session, CANCEL_EXTRA, {"input": {"serviceId": service["id"]}}))
    assert (again["__typename"], again["fromState"], again["toState"]) == (
        "InvalidTransition",
        "CANCELLED",
        "CANCELLED",
    )


async def test_extra_service_defaults_come_from_the_catalog(session: AsyncSession) -> None:
    plan = await plan_of(session, BASIC)
    definition = await _definition(session, "Roteador Wi-Fi 6 (comodato)")  # MONTHLY, next due
    result = _only(
        await execute(
            session,
            ADD_EXTRA,
            {
                "input": {
                    "planId": plan_gid(plan),
                    "definitionId": str(definition.id),
                    "firstDueDate": today().isoformat(),
                    "installments": 2,
                }
            },
        )
    )
    service = result["service"]
    assert service["value"] == str(definition.default_value)
    assert service["billingType"] == "MONTHLY"
    assert service["startDate"] == next_due_date(today(), plan.due_day).isoformat()
    assert [r["amount"] for r in result["receivables"]] == [str(definition.default_value)] * 2


async def test_extra_service_refusals(session: AsyncSession) -> None:
    plan = await plan_of(session, BASIC)
    one_time = await _definition(session, "Visita técnica")
    other_contact = await session.scalar(
        select(m.Contact).where(m.Contact.customer_id != plan.customer_id).limit(1)
    )
    assert other_contact is not None
    base = {
        "planId": plan_gid(plan),
        "definitionId": str(one_time.id),
        "firstDueDate": today().isoformat(),
    }

    async def add(**fields: Any) -> dict[str, Any]:
        return _only(await execute(session, ADD_EXTRA, {"input": {**base, **fields}}))

    result = await add(installments=2)
    assert result["fields"] == [
        {
            "path": ["installments"],
            "message": "a one-time extra service has exactly one installment",
        }
    ]
    result = await add(contactId=str(other_contact.id))
    assert result["fields"] == [
        {"path": ["contactId"], "message": "is not a contact of the plan's customer"}
    ]
    result = await add(
        firstDueDate=(today() - dt.timedelta(days=1)).isoformat(), value="-1", installments=0
    )
    assert {f["path"][0] for f in result["fields"]} == {"firstDueDate", "value", "installments"}
    result = await add(definitionId=str(10**8))
    assert (result["__typename"], result["entity"]) == ("NotFound", "ExtraServiceDefinition")
    one_time.active = False
    await session.flush()
    result = await add()
    assert result["rule"] == "EXTRA_SERVICE_DEFINITION_INACTIVE"


async def test_extra_services_are_never_edited_nor_removed_another_way(
    session: AsyncSession,
) -> None:
    fields = await execute(session, "{ __schema { mutationType { fields { name } } } }")
    names = {f["name"] for f in fields["__schema"]["mutationType"]["fields"]}
    assert {"addExtraService", "cancelExtraService"} <= names
    assert not [n for n in names if "ExtraService" in n and not n.startswith(("add", "cancel"))]

    extra_id = await session.scalar(
        select(m.ExtraService.id).where(m.ExtraService.status == ServiceStatus.ACTIVE).limit(1)
    )
    assert extra_id is not None
    result = _only(
        await execute(
            session, REMOVE, {"input": {"serviceId": to_global_id("ExtraService", extra_id)}}
        )
    )
    assert (result["__typename"], result["rule"]) == ("RuleViolation", "USE_CANCEL_EXTRA_SERVICE")


# --- antivirus ------------------------------------------------------------------------------


async def test_antivirus_activate_suspend_delete(session: AsyncSession) -> None:
    plan = await plan_of(session, BASIC)
    added = _only(
        await execute(session, ADD_ANTIVIRUS, {"input": {"planId": plan_gid(plan), "seats": 3}})
    )
    service = added["service"]
    assert (service["licenseStatus"], service["status"], service["seats"]) == (
        "ACTIVE",
        "ACTIVE",
        3,
    )
    assert service["licenseKey"].startswith("AV-")
    ident = {"input": {"serviceId": service["id"]}}

    result = _only(await execute(session, ACTIVATE, ident))
    assert (result["__typename"], result["fromState"]) == ("InvalidTransition", "ACTIVE")
    result = _only(await execute(session, SUSPEND, ident))
    assert result["service"] == {"licenseStatus": "SUSPENDED", "status": "SUSPENDED"}
    result = _only(await execute(session, SUSPEND, ident))
    assert result["__typename"] == "InvalidTransition"
    result = _only(await execute(session, ACTIVATE, ident))
    assert result["service"] == {"licenseStatus": "ACTIVE", "status": "ACTIVE"}
    read_back = await _plan_services(session, plan, "ANTIVIRUS")
    assert {"databaseId": service["databaseId"], "licenseStatus": "ACTIVE"} in [
        {"databaseId": s["databaseId"], "licenseStatus": s["licenseStatus"]} for s in read_back
    ]

    result = _only(await execute(session, DELETE_ANTIVIRUS, ident))
    assert result["service"]["status"] == "CANCELLED" and result["service"]["endedAt"]
    for document in (ACTIVATE, SUSPEND, DELETE_ANTIVIRUS):
        result = _only(await execute(session, document, ident))
        assert (result["__typename"], result["fromState"]) == ("InvalidTransition", "CANCELLED")
    # deleteAntivirus removes antivirus licences only.
    email_id = await session.scalar(select(m.EmailAccount.id).limit(1))
    result = _only(
        await execute(session, DELETE_ANTIVIRUS, {"input": {"serviceId": str(email_id)}})
    )
    assert (result["__typename"], result["entity"]) == ("NotFound", "AntivirusLicense")

    dormant = _only(
        await execute(
            session, ADD_ANTIVIRUS, {"input": {"planId": plan_gid(plan), "activate": False}}
        )
    )
    assert dormant["service"]["licenseStatus"] == "SUSPENDED"
    result = _only(
        await execute(session, ADD_ANTIVIRUS, {"input": {"planId": plan_gid(plan), "seats": 0}})
    )
    assert result["fields"][0]["path"] == ["seats"]


# --- passwords ------------------------------------------------------------------------------


async def test_change_password_of_a_login_and_a_mailbox(session: AsyncSession) -> None:
    login = await session.scalar(
        select(m.RadiusLogin).where(m.RadiusLogin.status == ServiceStatus.ACTIVE).limit(1)
    )
    mailbox = await session.scalar(
        select(m.EmailAccount).where(m.EmailAccount.status == ServiceStatus.ACTIVE).limit(1)
    )
    assert login is not None and mailbox is not None
    assert login.password_hash.startswith(credentials.PLACEHOLDER_PREFIX)
    for service, type_name in ((login, "RadiusLogin"), (mailbox, "EmailAccount")):
        result = _only(
            await execute(
                session,
                CHANGE_PASSWORD,
                {"input": {"serviceId": to_global_id(type_name, service.id), "password": PASSWORD}},
            )
        )
        assert result["__typename"] == "ChangeServicePasswordSuccess", result
        assert result["passwordStrength"]["band"] == "VERY_STRONG"
        row = await _service_row(session, type(service), service.id)
        assert credentials.verify_password(row.password_hash, PASSWORD)
        audit = (await _audit_rows(session, service.id))[-1]
        assert audit.action == "changeServicePassword"
        assert "password_hash" not in audit.after and "password_hash" not in audit.before
        assert PASSWORD not in str(audit.after) and "$argon2" not in str(audit.after)

    weak = _only(
        await execute(
            session,
            CHANGE_PASSWORD,
            {"input": {"serviceId": str(login.id), "password": login.login}},
        )
    )
    assert weak["__typename"] == "ValidationError"
    onu_id = await session.scalar(select(m.Onu.id).limit(1))
    result = _only(
        await execute(
            session, CHANGE_PASSWORD, {"input": {"serviceId": str(onu_id), "password": PASSWORD}}
        )
    )
    assert (result["__typename"], result["rule"]) == ("RuleViolation", "SERVICE_HAS_NO_PASSWORD")
    ended = await session.scalar(
        select(m.RadiusLogin.id).where(m.RadiusLogin.status == ServiceStatus.DISABLED).limit(1)
    )
    result = _only(
        await execute(
            session, CHANGE_PASSWORD, {"input": {"serviceId": str(ended), "password": PASSWORD}}
        )
    )
    assert (result["__typename"], result["rule"]) == ("RuleViolation", "SERVICE_ENDED")


async def test_no_service_type_exposes_a_password(session: AsyncSession) -> None:
    data = await execute(
        session,
        "{ __schema { types { name fields { name } } } }",
    )
    service_types = {"RadiusLogin", "EmailAccount", "EmailAlias", "Service"}
    for entry in data["__schema"]["types"]:
        if entry["name"] in service_types:
            assert not [f for f in entry["fields"] if "password" in f["name"].lower()]


PASSWORD_QUERIES = """
query ($password: String!, $login: String, $email: String, $length: Int!) {
  passwordStrength(password: $password, login: $login, email: $email) {
    __typename
    ... on PasswordStrength { score band requirementsMet rules { rule count points } }
    ...Errors
  }
  generatePassword(length: $length) {
    __typename
    ... on GeneratedPassword { password strength { score band } }
    ...Errors
  }
}
"""


async def test_password_queries(session: AsyncSession) -> None:
    data = await execute(
        session, PASSWORD_QUERIES, {"password": "Qwerty1!", "login": "maria", "length": 16}
    )
    strength = data["passwordStrength"]
    assert (strength["score"], strength["band"], strength["requirementsMet"]) == (
        66,
        "STRONG",
        True,
    )
    assert {"rule": "CONSECUTIVE_LOWERCASE", "count": 4, "points": -8} in strength["rules"]
    generated = data["generatePassword"]
    assert len(generated["password"]) == 16 and generated["strength"]["band"] == "VERY_STRONG"

    data = await execute(
        session,
        PASSWORD_QUERIES,
        {"password": "Maria@Provedor.net.br", "email": "maria@provedor.net.br", "length": 5},
    )
    assert data["passwordStrength"]["score"] == 0
    assert data["passwordStrength"]["rules"] == [
        {"rule": "EQUALS_LOGIN_OR_EMAIL", "count": 1, "points": 0}
    ]
    assert data["generatePassword"]["__typename"] == "ValidationError"
    data = await execute(session, PASSWORD_QUERIES, {"password": "x" * 129, "length": 12})
    assert data["passwordStrength"]["__typename"] == "ValidationError"


# --- removal --------------------------------------------------------------------------------


async def test_remove_each_removable_kind_once(session: AsyncSession) -> None:
    plan = await plan_of(session, FIBER_300)
    voice = _only(
        await execute(
            session,
            ADD_VOICE,
            {"input": {"planId": plan_gid(plan), "phoneNumber": "+551139990077"}},
        )
    )
    onu = _only(
        await execute(
            session,
            ADD_ONU,
            {
                "input": {
                    "planId": plan_gid(plan),
                    "serial": "TEST0000REMOV",
                    "olt": "OLT",
                    "ponPort": 0,
                }
            },
        )
    )
    for added in (voice, onu):
        service_id = str(added["service"]["databaseId"])
        result = _only(await execute(session, REMOVE, {"input": {"serviceId": service_id}}))
        assert result["__typename"] == "RemoveServiceSuccess", result
        assert (
            result["service"]["status"] == "CANCELLED" and result["plan"]["databaseId"] == plan.id
        )
        again = _only(await execute(session, REMOVE, {"input": {"serviceId": service_id}}))
        assert (again["__typename"], again["fromState"], again["toState"]) == (
            "InvalidTransition",
            "CANCELLED",
            "CANCELLED",
        )
    statuses = {s["databaseId"]: s["status"] for s in await _plan_services(session, plan)}
    assert statuses[voice["service"]["databaseId"]] == "CANCELLED"
    missing = _only(await execute(session, REMOVE, {"input": {"serviceId": str(10**8)}}))
    assert (missing["__typename"], missing["entity"]) == ("NotFound", "Service")
    kinds = {
        row.kind
        for row in await session.scalars(select(m.Service).where(m.Service.plan_id == plan.id))
    }
    assert ServiceKind.VOICE_TERMINAL in kinds and ServiceKind.ONU in kinds
