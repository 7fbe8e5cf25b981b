"""Adding a plan (manual 001: the "Novo Plano Cliente" wizard) as one action.

Installation address -> offer -> e-mail and/or RADIUS login -> billing information -> contract
-> optionally the installation appointment. `check_add_plan` is the whole validation and is
shared by `add_plan` (which then writes) and the validateAddPlan query (which only checks, and
may check an incomplete wizard: missing steps are then reported, not refused).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions import audit, registration_rules, released_logins
from domain.actions.accounts import mailbox_domain
from domain.actions.plan_common import (
    AddressChoice,
    NewAddress,
    check_address_choice,
    materialize_address,
    now,
    require,
    snapshot,
)
from domain.actions.plans import (
    AppointmentInput,
    BankDetails,
    ContractInput,
    bill_installation_fee,
    check_appointment,
    check_bank_details,
    check_contract,
    check_slot_free,
    create_appointment,
)
from domain.actions.tv import subscribe_package
from domain.credentials import hash_password_async
from domain.errors import FieldProblem, NotAllowed, NotFound, RuleViolation, ValidationFailed
from domain.i18n import _
from domain.identity import Identity, Permission
from domain.models import (
    Address,
    BillingForm,
    Contract,
    Customer,
    EmailAccount,
    Plan,
    PlanAddressHistory,
    PlanOffer,
    PlanOfferServiceKind,
    RadiusLogin,
    TvPackage,
)
from domain.models.enums import (
    AddressRole,
    InactiveReason,
    PaymentMethod,
    ServiceKind,
    SpeedState,
)
from domain.ports.cep import CepLookup
from domain.reads import common
from domain.reads import plans as reads
from domain.reads import services as service_reads
from domain.rules import passwords
from domain.rules import services as service_rules

AUTO_LOGIN = "auto_generate_radius_login"
LOGIN_PATTERN = "radius_login_pattern"
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_PHONE_ACCOUNT = re.compile(r"^[0-9]{8,30}$")


@dataclass(frozen=True)
class EmailLogin:
    login: str
    password: str
    domain: str | None = None  # the ISP's own domain (system variable) when not given


@dataclass(frozen=True)
class RadiusLoginInput:
    password: str
    login: str | None = None  # generated from the configured pattern when not given
    domain: str | None = None  # required when the offer requires a domain


@dataclass(frozen=True)
class BillingInput:
    payment_method: PaymentMethod
    due_day: int
    billing_address: AddressChoice | None = None  # the installation address when not given
    billing_form_id: int | None = None  # the method's default form when not given
    bank_account: BankDetails | None = None  # bank debit
    phone_bill_account: str | None = None  # phone-bill debit


@dataclass(frozen=True)
class NewPlan:
    """Everything the wizard collects; a step not reached yet is None."""

    customer_id: int
    offer_id: int | None = None
    installation_address: AddressChoice | None = None
    email: EmailLogin | None = None
    radius_login: RadiusLoginInput | None = None
    billing: BillingInput | None = None
    contract: ContractInput | None = None
    installation: AppointmentInput | None = None


@dataclass
class CheckedPlan:
    """What the checks found, ready to be written."""

    customer: Customer
    offer: PlanOffer | None = None
    installation_address: Address | NewAddress | None = None
    billing_address: Address | NewAddress | None = None
    billing_form: BillingForm | None = None
    email_domain: str | None = None
    auto_login: bool = False
    missing_steps: list[str] = field(default_factory=list)
    # The strength of each password given, by step ("email", "radiusLogin").
    strengths: dict[str, passwords.Strength] = field(default_factory=dict)


def _normalize(text: str) -> str:
    return text.strip().lower()


def _check_password(
    password: str,
    *,
    login: str | None,
    email: str | None,
    path: tuple[str, ...],
    checked: CheckedPlan,
    problems: list[FieldProblem],
) -> None:
    """The one password rule of every place a password is set (passwords.acceptable)."""
    try:
        checked.strengths[path[0]] = passwords.acceptable(password, login=login, email=email)
    except ValueError as error:
        problems.append(FieldProblem((*path, "password"), str(error)))


def _check_login(raw: str, path: tuple[str, ...], problems: list[FieldProblem]) -> str | None:
    """A login or mailbox name, normalised as every other place does (rules.login)."""
    try:
        return service_rules.login(raw)
    except ValueError as error:
        problems.append(FieldProblem((*path, "login"), str(error)))
        return None


async def _check_radius(
    session: AsyncSession,
    radius: RadiusLoginInput,
    offer: PlanOffer,
    checked: CheckedPlan,
    problems: list[FieldProblem],
) -> None:
    path = ("radiusLogin",)
    login = None
    if radius.login is None or not radius.login.strip():
        if await reads.system_variable(session, AUTO_LOGIN) != "true":
            problems.append(
                FieldProblem((*path, "login"), _("is required (automatic logins are off)"))
            )
        checked.auto_login = True
    else:
        login = _check_login(radius.login, path, problems)
        if login is not None and await released_logins.taken(
            session, RadiusLogin, login, customer_id=checked.customer.id
        ):
            problems.append(FieldProblem((*path, "login"), _("is taken")))
    # A generated login is checked against the password again once it is known (add_plan).
    _check_password(
        radius.password,
        login=login,
        email=checked.customer.email,
        path=path,
        checked=checked,
        problems=problems,
    )
    if radius.domain is not None and not _DOMAIN.match(_normalize(radius.domain)):
        problems.append(
            FieldProblem((*path, "domain"), _("must be a domain name, e.g. empresa.com.br"))
        )
    elif radius.domain is None and offer.requires_domain:
        problems.append(FieldProblem((*path, "domain"), _("is required by the offer")))


async def _check_email(
    session: AsyncSession,
    email: EmailLogin,
    checked: CheckedPlan,
    problems: list[FieldProblem],
) -> None:
    path = ("email",)
    login = _check_login(email.login, path, problems)
    try:
        domain = await mailbox_domain(session, customer_id=checked.customer.id, raw=email.domain)
    except ValueError as error:
        problems.append(FieldProblem((*path, "domain"), str(error)))
        domain = None
    if login is not None and domain is not None:
        # A mailbox of this customer's cancelled plan is theirs again (ADR 0104); an alias is
        # never released.
        mailbox_taken = await released_logins.taken(
            session, EmailAccount, login, domain=domain, customer_id=checked.customer.id
        )
        if mailbox_taken or await service_reads.email_alias_taken(session, login, domain):
            problems.append(
                FieldProblem(
                    (*path, "login"), _("{login}@{domain} is taken", login=login, domain=domain)
                )
            )
    _check_password(
        email.password,
        login=login or email.login,
        email=f"{login}@{domain}" if login and domain else None,
        path=path,
        checked=checked,
        problems=problems,
    )
    checked.email_domain = domain


async def _check_billing(
    session: AsyncSession,
    billing: BillingInput,
    new: NewPlan,
    checked: CheckedPlan,
    cep_lookup: CepLookup | None,
    problems: list[FieldProblem],
) -> None:
    path = ("billing",)
    if not 1 <= billing.due_day <= 28:
        problems.append(FieldProblem((*path, "dueDay"), _("must be a day from 1 to 28")))
    method = billing.payment_method
    if method is PaymentMethod.BANK_DEBIT:
        if billing.bank_account is None:
            problems.append(FieldProblem((*path, "bankAccount"), _("is required for bank debit")))
        else:
            await check_bank_details(
                session, billing.bank_account, path=(*path, "bankAccount"), problems=problems
            )
    elif billing.bank_account is not None:
        problems.append(FieldProblem((*path, "bankAccount"), _("is only for bank debit")))
    if method is PaymentMethod.PHONE_BILL_DEBIT:
        account = (billing.phone_bill_account or "").strip()
        if not _PHONE_ACCOUNT.match(account):
            problems.append(
                FieldProblem(
                    (*path, "phoneBillAccount"),
                    _("is required for phone-bill debit: 8 to 30 digits"),
                )
            )
    elif billing.phone_bill_account is not None:
        problems.append(
            FieldProblem((*path, "phoneBillAccount"), _("is only for phone-bill debit"))
        )
    if billing.billing_form_id is not None:
        form = await session.get(BillingForm, billing.billing_form_id)
        if form is None:
            problems.append(FieldProblem((*path, "billingFormId"), _("is not a billing form")))
        elif form.payment_method is not method:
            problems.append(
                FieldProblem(
                    (*path, "billingFormId"),
                    _("is a form for {payment_method}", payment_method=form.payment_method.name),
                )
            )
        checked.billing_form = form
    else:
        checked.billing_form = await reads.default_billing_form(session, method)
    if billing.billing_address is not None:
        checked.billing_address = await check_address_choice(
            session,
            billing.billing_address,
            customer_id=new.customer_id,
            path=(*path, "billingAddress"),
            cep_lookup=cep_lookup,
            problems=problems,
        )


async def _registration_rules(session: AsyncSession, customer: Customer, today: dt.date) -> None:
    """Refuses with the first registration rule (regra de cadastro) the customer fails."""
    for alert in await registration_rules.failed_rules(session, customer, today, first_only=True):
        raise RuleViolation(alert.condition.name, alert.message)


async def check_add_plan(
    session: AsyncSession,
    new: NewPlan,
    *,
    actor: Identity,
    cep_lookup: CepLookup | None,
    complete: bool = True,
    lock_slot: bool = True,
) -> CheckedPlan:
    """Every check of adding the plan, in the order a refusal reports them: permission, the
    customer, TV_PACKAGES when the offer is a TV offer, every field (one ValidationFailed with
    all problems), the technician's slot, then the registration rules. With `complete` false,
    steps not given yet are listed in `missing_steps` instead of refused."""
    require(actor, Permission.PLAN_ADMIN)
    customer = await session.get(Customer, new.customer_id)
    if customer is None:
        raise NotFound("Customer", new.customer_id)
    checked = CheckedPlan(customer=customer)
    problems: list[FieldProblem] = []
    today = now().date()

    def missing(step: str, path: str) -> None:
        checked.missing_steps.append(step)
        if complete:
            problems.append(FieldProblem((path,), _("is required")))

    if new.offer_id is None:
        missing("offer", "offerId")
    else:
        offer = await session.get(PlanOffer, new.offer_id)
        if offer is None or not offer.active:
            problems.append(FieldProblem(("offerId",), _("is not an offer on sale")))
        else:
            if offer.is_tv_offer and not actor.has(Permission.TV_PACKAGES):
                # A TV offer's plan provisions TV on the platform (ADR 0100).
                raise NotAllowed(
                    _(
                        "The offer {offer_name!r} is a TV offer: adding its plan needs the "
                        "TV_PACKAGES permission.",
                        offer_name=offer.name,
                    ),
                    permission=Permission.TV_PACKAGES.name,
                )
            checked.offer = offer
    if new.installation_address is None:
        missing("installationAddress", "installationAddress")
    else:
        checked.installation_address = await check_address_choice(
            session,
            new.installation_address,
            customer_id=customer.id,
            path=("installationAddress",),
            cep_lookup=cep_lookup,
            problems=problems,
        )

    if checked.offer is not None:
        allowed = await common.by_keys(
            session, PlanOfferServiceKind, "offer_id", [checked.offer.id]
        )
        kinds = {row.kind for row in allowed}
        enables = kinds & {ServiceKind.EMAIL, ServiceKind.RADIUS_LOGIN}
        if new.email is not None and ServiceKind.EMAIL not in kinds:
            problems.append(FieldProblem(("email",), _("the offer does not include e-mail")))
        elif new.email is not None:
            await _check_email(session, new.email, checked, problems)
        if new.radius_login is not None and ServiceKind.RADIUS_LOGIN not in kinds:
            problems.append(FieldProblem(("radiusLogin",), _("the offer does not include a login")))
        elif new.radius_login is not None:
            await _check_radius(session, new.radius_login, checked.offer, checked, problems)
        if enables and new.email is None and new.radius_login is None:
            # Manual 001, 2.2: the e-mail and/or RADIUS login the offer enables must be added.
            missing("login", "radiusLogin" if ServiceKind.RADIUS_LOGIN in enables else "email")

    if new.billing is None:
        missing("billing", "billing")
    else:
        await _check_billing(session, new.billing, new, checked, cep_lookup, problems)
    if new.contract is not None:
        await check_contract(
            session, new.contract, plan_id=None, today=today, path=("contract",), problems=problems
        )
    if new.installation is not None:
        await check_appointment(
            session,
            new.installation,
            customer_id=customer.id,
            today=today,
            path=("installation",),
            problems=problems,
        )
    if problems:
        raise ValidationFailed(problems)
    if new.installation is not None:
        await check_slot_free(session, new.installation, lock=lock_slot)
    await _registration_rules(session, customer, today)
    return checked


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


async def _generated_login(session: AsyncSession, customer: Customer, plan: Plan) -> str:
    pattern = await reads.system_variable(session, LOGIN_PATTERN) or "{first_name}.{plan_id}"
    values = {"first_name": _slug(customer.name.split()[0]) or "cliente", "plan_id": str(plan.id)}
    base = re.sub(r"\{([a-z_]+)\}", lambda m: values.get(m.group(1), ""), pattern).lower()
    base = re.sub(r"[^a-z0-9._@-]", "", base)[:60] or f"plano.{plan.id}"
    login, suffix = base, 1
    while await reads.radius_login_taken(session, login):
        suffix += 1
        login = f"{base}-{suffix}"
    return login


PLAN_FIELDS = ("customer_id", "offer_id", "status", "inactive_reason", "payment_method", "due_day")


@dataclass
class AddedPlan:
    plan: Plan
    radius_login: str | None
    email_address: str | None
    radius_password_strength: passwords.Strength | None = None
    email_password_strength: passwords.Strength | None = None


async def add_plan(
    session: AsyncSession, *, new: NewPlan, cep_lookup: CepLookup | None, actor: Identity
) -> AddedPlan:
    """Checks the whole wizard (check_add_plan) and writes the plan, its addresses, logins,
    default TV package, contract and installation appointment; nothing when any check fails."""
    checked = await check_add_plan(session, new, actor=actor, cep_lookup=cep_lookup)
    assert checked.offer is not None and new.billing is not None
    assert checked.installation_address is not None
    offer, billing, customer = checked.offer, new.billing, checked.customer
    installation = await materialize_address(
        session,
        customer.id,
        checked.installation_address,  # type: ignore[arg-type]
    )
    billing_address = (
        await materialize_address(session, customer.id, checked.billing_address)  # type: ignore[arg-type]
        if checked.billing_address is not None
        else installation
    )
    bank = billing.bank_account
    plan = Plan(
        customer_id=customer.id,
        offer_id=offer.id,
        status=offer.initial_status,
        inactive_reason=offer.initial_inactive_reason,
        installation_address_id=installation.id,
        billing_address_id=billing_address.id,
        billing_form_id=checked.billing_form.id if checked.billing_form else None,
        payment_method=billing.payment_method,
        due_day=billing.due_day,
        speed_state=SpeedState.REDUCED
        if offer.initial_inactive_reason is InactiveReason.SUSPENDED
        else SpeedState.NORMAL,
        bank_id=bank.bank_id if bank else None,
        bank_branch=bank.branch.strip() if bank else None,
        bank_account=bank.account.strip() if bank else None,
        phone_bill_account=(billing.phone_bill_account or "").strip() or None,
    )
    session.add(plan)
    await session.flush()
    at = now()
    for role, address in (
        (AddressRole.INSTALLATION, installation),
        (AddressRole.BILLING, billing_address),
    ):
        session.add(
            PlanAddressHistory(plan_id=plan.id, address_id=address.id, role=role, valid_from=at)
        )

    radius_login = email_address = None
    if new.radius_login is not None:
        radius = new.radius_login
        radius_login = (
            await _generated_login(session, customer, plan)
            if checked.auto_login
            else service_rules.login(radius.login or "")
        )
        if checked.auto_login:
            try:
                checked.strengths["radiusLogin"] = passwords.acceptable(
                    radius.password, login=radius_login, email=customer.email
                )
            except ValueError as error:
                raise ValidationFailed.one("radiusLogin.password", str(error)) from None
        # A name this customer's cancelled plan held is theirs again (ADR 0104).
        await released_logins.release(session, RadiusLogin, radius_login, customer_id=customer.id)
        session.add(
            RadiusLogin(
                plan_id=plan.id,
                kind=ServiceKind.RADIUS_LOGIN,
                login=radius_login,
                domain=_normalize(radius.domain) if radius.domain else None,
                password_hash=await hash_password_async(radius.password),
            )
        )
    if new.email is not None:
        login = service_rules.login(new.email.login)
        email_address = f"{login}@{checked.email_domain}"
        await released_logins.release(
            session, EmailAccount, login, domain=checked.email_domain, customer_id=customer.id
        )
        session.add(
            EmailAccount(
                plan_id=plan.id,
                kind=ServiceKind.EMAIL,
                login=login,
                domain=checked.email_domain,
                password_hash=await hash_password_async(new.email.password),
            )
        )
    if offer.is_tv_offer and offer.default_tv_package_id is not None:
        package = await session.get_one(TvPackage, offer.default_tv_package_id)
        # Queued for the TV platform like any package (the worker provisions the subscriber).
        await subscribe_package(
            session,
            plan=plan,
            package=package,
            value=package.value,
            start_date=at.date(),
            is_default=True,
        )
    if new.contract is not None:
        contract = new.contract
        session.add(
            Contract(
                plan_id=plan.id,
                number=contract.number.strip(),
                sale_date=contract.sale_date,
                installation_fee=contract.installation_fee,
                installation_installments=contract.installation_installments,
                validity_months=contract.validity_months,
                template_id=contract.template_id,
            )
        )
        await bill_installation_fee(session, plan, contract, previous=None, today=at.date())
    appointment_id = None
    if new.installation is not None:
        appointment_id = (await create_appointment(session, plan, new.installation)).id
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="addPlan",
        target_type="Plan",
        target_id=plan.id,
        before=None,
        after={
            **snapshot(plan, *PLAN_FIELDS),
            "radius_login": radius_login,
            "email": email_address,
            "contract": new.contract.number.strip() if new.contract else None,
            "appointment_id": appointment_id,
        },
    )
    return AddedPlan(
        plan=plan,
        radius_login=radius_login,
        email_address=email_address,
        radius_password_strength=checked.strengths.get("radiusLogin") if radius_login else None,
        email_password_strength=checked.strengths.get("email") if email_address else None,
    )
