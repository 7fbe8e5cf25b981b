"""Accounts on a plan: mailboxes, their aliases, RADIUS logins, and changing their passwords."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain import credentials
from domain.actions.service_common import (
    AUTO_LOGIN_PATTERN,
    ENDED,
    NO_PASSWORD,
    SERVICE_ENDED,
    Problems,
    plan_taking,
    record,
    require_plan_admin,
    service_to_change,
    snapshot,
)
from domain.errors import NotFound, RuleViolation, ValidationFailed
from domain.identity import Identity
from domain.models import EmailAccount, EmailAlias, Plan, RadiusLogin, Service
from domain.models.enums import ServiceKind, ServiceStatus
from domain.reads import services as reads
from domain.rules import passwords
from domain.rules import services as rules

AUTO_LOGIN_VARIABLE = "auto_generate_radius_login"
LOGIN_PATTERN_VARIABLE = "radius_login_pattern"
EMAIL_DOMAIN_VARIABLE = "email_domain"
DEFAULT_QUOTA_MB = 1024
MAX_QUOTA_MB = 102_400


@dataclass(frozen=True)
class AccountResult:
    """A new or changed account, its plan, and the strength of the password it now has."""

    service: Service
    plan: Plan
    strength: passwords.Strength | None = None


def _password_length(problems: Problems, path: str, password: str) -> None:
    problems.check(path, passwords.check_form, password)


def _strong_enough(
    path: str, password: str, *, login: str | None, email: str | None
) -> passwords.Strength:
    """The password's strength, by the one password rule (passwords.acceptable)."""
    try:
        return passwords.acceptable(password, login=login, email=email)
    except ValueError as error:
        raise ValidationFailed.one(path, str(error)) from None


async def email_domains(session: AsyncSession) -> list[str]:
    """The ISP's own e-mail domains: system variable `email_domain`, one domain or several
    separated by commas; the first is the default of a new mailbox (ADR 0112)."""
    raw = (await reads.system_variables(session, [EMAIL_DOMAIN_VARIABLE])).get(
        EMAIL_DOMAIN_VARIABLE, ""
    )
    domains = []
    for part in raw.split(","):
        try:
            domains.append(rules.domain_name(part))
        except ValueError:
            continue  # a mistyped entry of the variable allows nothing
    return domains


async def mailbox_domain(session: AsyncSession, *, customer_id: int, raw: str | None) -> str:
    """The domain of a new mailbox or alias of the customer: `raw` normalised, or the ISP's
    default; it must be one of the ISP's e-mail domains or a domain hosted on one of the
    customer's plans (not ended). ValueError says why not."""
    own = await email_domains(session)
    if raw is None or not raw.strip():
        if not own:
            raise ValueError("is required: no default e-mail domain is set")
        return own[0]
    domain = rules.domain_name(raw)
    if domain in own or domain in await reads.customer_hosted_domains(session, customer_id):
        return domain
    allowed = ", ".join(own) or "none configured"
    raise ValueError(
        f"{domain} is neither one of the ISP's e-mail domains ({allowed}) nor a domain "
        "hosted for this customer"
    )


async def add_radius_login(
    session: AsyncSession,
    *,
    plan_id: int,
    password: str,
    login: str | None = None,
    domain: str | None = None,
    fixed_ip: str | None = None,
    actor: Identity,
) -> AccountResult:
    """Adds a RADIUS login; without a login, generates one from the configured pattern when
    the system variable `auto_generate_radius_login` is 'true'."""
    require_plan_admin(actor, "Adding a RADIUS login")
    problems = Problems()
    wanted = problems.check("login", rules.login, login) if login and login.strip() else None
    domain_value = problems.check("domain", rules.domain_name, domain) if domain else None
    ip = problems.check("fixedIp", rules.ip_address, fixed_ip) if fixed_ip else None
    _password_length(problems, "password", password)
    problems.raise_any()

    plan = await plan_taking(session, plan_id, ServiceKind.RADIUS_LOGIN)
    offer = await reads.offer(session, plan.offer_id)
    if offer is not None and offer.requires_domain and domain_value is None:
        raise ValidationFailed.one("domain", "is required by the plan's offer")
    customer = await reads.customer(session, plan.customer_id)
    assert customer is not None  # a plan's customer always exists (foreign key)
    if wanted is None:
        settings = await reads.system_variables(
            session, [AUTO_LOGIN_VARIABLE, LOGIN_PATTERN_VARIABLE]
        )
        if settings.get(AUTO_LOGIN_VARIABLE, "").strip().lower() != "true":
            raise ValidationFailed.one("login", "is required: automatic logins are switched off")
        values = rules.login_pattern_values(
            customer_name=customer.name, customer_id=customer.id, plan_id=plan.id
        )
        try:
            base = rules.generated_login(settings.get(LOGIN_PATTERN_VARIABLE, ""), values)
        except ValueError as error:
            raise RuleViolation(AUTO_LOGIN_PATTERN, str(error)) from None
        wanted = rules.first_free_login(base, await reads.radius_logins_like(session, base))
    elif await reads.value_taken(session, RadiusLogin.login, wanted):
        raise ValidationFailed.one("login", f"{wanted} is already taken")
    if ip is not None and not await reads.plan_holds_address(session, plan.id, ip):
        raise ValidationFailed.one(
            "fixedIp", f"{ip} is not an address this plan holds: add it as an IP service first"
        )
    strength = _strong_enough("password", password, login=wanted, email=customer.email)

    service = RadiusLogin(
        plan_id=plan.id,
        status=ServiceStatus.ACTIVE,
        login=wanted,
        domain=domain_value,
        fixed_ip=ip,
        password_hash=await credentials.hash_password_async(password),
    )
    session.add(service)
    await session.flush()
    await record(session, actor=actor, action="addRadiusLogin", service=service, before=None)
    return AccountResult(service, plan, strength)


async def add_email(
    session: AsyncSession,
    *,
    plan_id: int,
    login: str,
    password: str,
    domain: str | None = None,
    quota_mb: int | None = None,
    actor: Identity,
) -> AccountResult:
    """Adds a mailbox login@domain (domain defaults to the ISP's `email_domain`)."""
    require_plan_admin(actor, "Adding an e-mail")
    problems = Problems()
    name = problems.check("login", rules.login, login)
    domain_value = problems.check("domain", rules.domain_name, domain) if domain else None
    if quota_mb is not None and not 1 <= quota_mb <= MAX_QUOTA_MB:
        problems.add("quotaMb", f"must be between 1 and {MAX_QUOTA_MB}")
    _password_length(problems, "password", password)
    problems.raise_any()
    assert name is not None

    plan = await plan_taking(session, plan_id, ServiceKind.EMAIL)
    try:
        domain_value = await mailbox_domain(session, customer_id=plan.customer_id, raw=domain)
    except ValueError as error:
        raise ValidationFailed.one("domain", str(error)) from None
    if await reads.email_address_taken(session, name, domain_value):
        raise ValidationFailed.one("login", f"{name}@{domain_value} is already taken")
    strength = _strong_enough("password", password, login=name, email=f"{name}@{domain_value}")

    service = EmailAccount(
        plan_id=plan.id,
        status=ServiceStatus.ACTIVE,
        login=name,
        domain=domain_value,
        quota_mb=quota_mb or DEFAULT_QUOTA_MB,
        password_hash=await credentials.hash_password_async(password),
    )
    session.add(service)
    await session.flush()
    await record(session, actor=actor, action="addEmail", service=service, before=None)
    return AccountResult(service, plan, strength)


async def add_email_alias(
    session: AsyncSession,
    *,
    email_id: int,
    login: str,
    domain: str | None = None,
    actor: Identity,
) -> AccountResult:
    """Adds an alias that delivers to mailbox `email_id`, on the mailbox's plan."""
    require_plan_admin(actor, "Adding an e-mail alias")
    problems = Problems()
    name = problems.check("login", rules.login, login)
    domain_value = problems.check("domain", rules.domain_name, domain) if domain else None
    problems.raise_any()
    assert name is not None

    mailbox = await reads.service_for_change(session, email_id)
    if not isinstance(mailbox, EmailAccount):
        raise NotFound("EmailAccount", email_id)
    plan = await plan_taking(session, mailbox.plan_id, ServiceKind.EMAIL_ALIAS)
    if mailbox.status in ENDED:
        raise RuleViolation(SERVICE_ENDED, f"Mailbox {email_id} has ended: it takes no aliases.")
    if domain_value is None:
        domain_value = mailbox.domain  # the mailbox's own domain, allowed when it was made
    else:
        try:
            domain_value = await mailbox_domain(
                session, customer_id=plan.customer_id, raw=domain_value
            )
        except ValueError as error:
            raise ValidationFailed.one("domain", str(error)) from None
    if await reads.email_address_taken(session, name, domain_value):
        raise ValidationFailed.one("login", f"{name}@{domain_value} is already taken")

    service = EmailAlias(
        plan_id=plan.id,
        status=ServiceStatus.ACTIVE,
        email_id=mailbox.id,
        login=name,
        domain=domain_value,
    )
    session.add(service)
    await session.flush()
    await record(session, actor=actor, action="addEmailAlias", service=service, before=None)
    return AccountResult(service, plan)


async def change_service_password(
    session: AsyncSession, *, service_id: int, password: str, actor: Identity
) -> AccountResult:
    """Sets a new password on a RADIUS login or a mailbox (stored as a new hash)."""
    require_plan_admin(actor, "Changing a password")
    problems = Problems()
    _password_length(problems, "password", password)
    problems.raise_any()

    service = await service_to_change(session, service_id)
    if not isinstance(service, RadiusLogin | EmailAccount):
        raise RuleViolation(NO_PASSWORD, f"A {service.kind.name} service has no password.")
    if service.status in ENDED:
        raise RuleViolation(
            SERVICE_ENDED, f"Service {service_id} is {service.status.name}: its password is kept."
        )
    plan = await reads.plan(session, service.plan_id)
    assert plan is not None
    if isinstance(service, EmailAccount):
        strength = _strong_enough(
            "password", password, login=service.login, email=f"{service.login}@{service.domain}"
        )
    else:
        customer = await reads.customer(session, plan.customer_id)
        strength = _strong_enough(
            "password", password, login=service.login, email=customer.email if customer else None
        )
    before = snapshot(service)
    service.password_hash = await credentials.hash_password_async(password)
    await session.flush()
    # The audit row says the password changed, never what it is or its hash.
    await record(
        session,
        actor=actor,
        action="changeServicePassword",
        service=service,
        before=before,
        extra={"password": "changed"},
    )
    return AccountResult(service, plan, strength)
