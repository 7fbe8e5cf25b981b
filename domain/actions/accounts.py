"""Accounts on a plan: mailboxes, their aliases, RADIUS logins, and changing their passwords."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from domain import credentials
from domain.actions import released_logins
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
from domain.i18n import _
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
            raise ValueError(_("is required: no default e-mail domain is set"))
        return own[0]
    domain = rules.domain_name(raw)
    if domain in own or domain in await reads.customer_hosted_domains(session, customer_id):
        return domain
    allowed = ", ".join(own) or _("none configured")
    raise ValueError(
        _(
            "{domain} is neither one of the ISP's e-mail domains ({allowed}) nor a domain hosted "
            "for this customer",
            domain=domain,
            allowed=allowed,
        )
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
    require_plan_admin(actor, _("Adding a RADIUS login"))
    problems = Problems()
    wanted = problems.check("login", rules.login, login) if login and login.strip() else None
    domain_value = problems.check("domain", rules.domain_name, domain) if domain else None
    ip = problems.check("fixedIp", rules.ip_address, fixed_ip) if fixed_ip else None
    _password_length(problems, "password", password)
    problems.raise_any()

    plan = await plan_taking(session, plan_id, ServiceKind.RADIUS_LOGIN)
    offer = await reads.offer(session, plan.offer_id)
    if offer is not None and offer.requires_domain and domain_value is None:
        raise ValidationFailed.one("domain", _("is required by the plan's offer"))
    customer = await reads.customer(session, plan.customer_id)
    assert customer is not None  # a plan's customer always exists (foreign key)
    if wanted is None:
        settings = await reads.system_variables(
            session, [AUTO_LOGIN_VARIABLE, LOGIN_PATTERN_VARIABLE]
        )
        if settings.get(AUTO_LOGIN_VARIABLE, "").strip().lower() != "true":
            raise ValidationFailed.one("login", _("is required: automatic logins are switched off"))
        values = rules.login_pattern_values(
            customer_name=customer.name, customer_id=customer.id, plan_id=plan.id
        )
        try:
            base = rules.generated_login(settings.get(LOGIN_PATTERN_VARIABLE, ""), values)
        except ValueError as error:
            raise RuleViolation(AUTO_LOGIN_PATTERN, str(error)) from None
        wanted = rules.first_free_login(base, await reads.radius_logins_like(session, base))
    elif await released_logins.taken(session, RadiusLogin, wanted, customer_id=plan.customer_id):
        raise ValidationFailed.one("login", _("{wanted} is already taken", wanted=wanted))
    if ip is not None and not await reads.plan_holds_address(session, plan.id, ip):
        raise ValidationFailed.one(
            "fixedIp",
            _("{ip} is not an address this plan holds: add it as an IP service first", ip=ip),
        )
    strength = _strong_enough("password", password, login=wanted, email=customer.email)
    # A name this customer's cancelled plan held is theirs again (ADR 0104).
    await released_logins.release(session, RadiusLogin, wanted, customer_id=plan.customer_id)

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
    require_plan_admin(actor, _("Adding an e-mail"))
    problems = Problems()
    name = problems.check("login", rules.login, login)
    domain_value = problems.check("domain", rules.domain_name, domain) if domain else None
    if quota_mb is not None and not 1 <= quota_mb <= MAX_QUOTA_MB:
        problems.add(
            "quotaMb", _("must be between 1 and {max_quota_mb}", max_quota_mb=MAX_QUOTA_MB)
        )
    _password_length(problems, "password", password)
    problems.raise_any()
    assert name is not None

    plan = await plan_taking(session, plan_id, ServiceKind.EMAIL)
    try:
        domain_value = await mailbox_domain(session, customer_id=plan.customer_id, raw=domain)
    except ValueError as error:
        raise ValidationFailed.one("domain", str(error)) from None
    # A mailbox of a cancelled plan is released by the rule of ADR 0104; an alias never is.
    if await released_logins.taken(
        session, EmailAccount, name, domain=domain_value, customer_id=plan.customer_id
    ) or await reads.email_alias_taken(session, name, domain_value):
        raise ValidationFailed.one(
            "login",
            _("{name}@{domain_value} is already taken", name=name, domain_value=domain_value),
        )
    strength = _strong_enough("password", password, login=name, email=f"{name}@{domain_value}")
    await released_logins.release(
        session, EmailAccount, name, domain=domain_value, customer_id=plan.customer_id
    )

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
    require_plan_admin(actor, _("Adding an e-mail alias"))
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
        raise RuleViolation(
            SERVICE_ENDED,
            _("Mailbox {email_id} has ended: it takes no aliases.", email_id=email_id),
        )
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
        raise ValidationFailed.one(
            "login",
            _("{name}@{domain_value} is already taken", name=name, domain_value=domain_value),
        )

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
    require_plan_admin(actor, _("Changing a password"))
    problems = Problems()
    _password_length(problems, "password", password)
    problems.raise_any()

    service = await service_to_change(session, service_id)
    if not isinstance(service, RadiusLogin | EmailAccount):
        raise RuleViolation(
            NO_PASSWORD, _("A {kind} service has no password.", kind=service.kind.name)
        )
    if service.status in ENDED:
        raise RuleViolation(
            SERVICE_ENDED,
            _(
                "Service {service_id} is {status}: its password is kept.",
                service_id=service_id,
                status=service.status.name,
            ),
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
