"""Adicionar Serviço: one mutation per kind of service, removing and cancelling them, changing
passwords, and the password and domain queries that go with them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import strawberry

from domain.actions.extra_services import MAX_NOTES
from domain.rules import passwords
from gateway.schema.base import described_enum
from gateway.schema.billing import ReceivableType
from gateway.schema.bounds import bounded
from gateway.schema.errors import AnyUserError, answers
from gateway.schema.plans import PlanType
from gateway.schema.services import (
    SERVICE_TYPES,
    AntivirusLicenseType,
    CircuitType,
    EmailAccountType,
    EmailAliasType,
    ExtraServiceType,
    HostedDomainType,
    IpAssignmentType,
    OnuType,
    RadiusLoginType,
    ServiceInterface,
    VoiceTerminalType,
)

T = TypeVar("T")

PasswordBand = described_enum(
    passwords.Band,
    "The manual's strength bands of a score (Força da Senha). VERY_WEAK passwords are refused "
    "wherever the ISP sets one (ADR 0111).",
    {
        "VERY_WEAK": "Below 20 (muito fraca); also any password equal to the login or e-mail.",
        "WEAK": "20 to 39 (fraca).",
        "GOOD": "40 to 59 (boa).",
        "STRONG": "60 to 79 (forte).",
        "VERY_STRONG": "80 and above (muito forte).",
    },
    name="PasswordBand",
)
PasswordRule = described_enum(
    passwords.Rule,
    "An addition or deduction of the passwordmeter.com meter; `count` is what it matched.",
    {
        "LENGTH": "+4 per character.",
        "UPPERCASE": "+2 per character that is not an upper-case letter, when some are.",
        "LOWERCASE": "+2 per character that is not a lower-case letter, when some are.",
        "NUMBERS": "+4 per digit, unless it is digits only.",
        "SYMBOLS": "+6 per symbol.",
        "MIDDLE_NUMBERS_OR_SYMBOLS": "+2 per digit or symbol that is neither first nor last.",
        "REQUIREMENTS": "+2 per requirement met (8 characters, each class), when at least 8 "
        "characters and 3 classes are.",
        "LETTERS_ONLY": "-1 per character of a password of letters only.",
        "NUMBERS_ONLY": "-1 per character of a password of digits only.",
        "REPEAT_CHARACTERS": "Minus an amount weighted by how close repeated characters are.",
        "CONSECUTIVE_UPPERCASE": "-2 per pair of adjacent upper-case letters.",
        "CONSECUTIVE_LOWERCASE": "-2 per pair of adjacent lower-case letters.",
        "CONSECUTIVE_NUMBERS": "-2 per pair of adjacent digits.",
        "SEQUENTIAL_LETTERS": "-3 per run of three letters in alphabet order (abc).",
        "SEQUENTIAL_NUMBERS": "-3 per run of three digits in order (123).",
        "SEQUENTIAL_SYMBOLS": "-3 per run of three symbols in keyboard order (!@#).",
        "EQUALS_LOGIN_OR_EMAIL": "The password equals the login or the e-mail (or its part "
        "before the @), case aside: the score is 0.",
    },
    name="PasswordRule",
)

SERVICE_TYPE_NAMES = tuple(cls.graphql_name for cls in SERVICE_TYPES.values())


# --- password and domain queries -------------------------------------------------------------


@strawberry.type(description="One rule of the meter that applied, and the points it gave.")
class PasswordRuleScore:
    rule: PasswordRule = strawberry.field(description="The rule.")  # type: ignore[valid-type]
    count: int = strawberry.field(description="How many characters or runs matched.")
    points: int = strawberry.field(description="Positive for additions, negative for deductions.")


@strawberry.type(name="PasswordStrength", description="A password's score, as passwordmeter.com.")
class PasswordStrengthType:
    score: int = strawberry.field(description="0 to 100; the sum of the rules' points, capped.")
    band: PasswordBand = strawberry.field(  # type: ignore[valid-type]
        description="The manual's band of the score."
    )
    requirements_met: bool = strawberry.field(
        description="At least 8 characters and 3 of upper, lower, digits and symbols."
    )
    rules: list[PasswordRuleScore] = strawberry.field(
        description="Every rule that applied, additions first."
    )

    @classmethod
    def of(cls, strength: passwords.Strength) -> PasswordStrengthType:
        return cls(
            score=strength.score,
            band=strength.band,
            requirements_met=strength.requirements_met,
            rules=[
                PasswordRuleScore(rule=r.rule, count=r.count, points=r.points)
                for r in strength.rules
            ],
        )


@strawberry.type(description="A new random password and its strength; it is not stored anywhere.")
class GeneratedPassword:
    password: str = strawberry.field(
        description="The password: letters (no I, O or l), digits 2-9 and the symbols "
        "!@#$%&*+-=?, at least one of each."
    )
    strength: PasswordStrengthType = strawberry.field(description="Its strength.")


@strawberry.type(
    description="Whether the registry can register a name now (Verificar Disponibilidade)."
)
class DomainAvailability:
    name: str = strawberry.field(description="The name asked about, lower-case.")
    available: bool = strawberry.field(
        description="True: Está disponível; false: Não está disponível."
    )


GeneratePasswordResult = Annotated[
    GeneratedPassword | AnyUserError,
    strawberry.union(
        "GeneratePasswordResult",
        description="The password, or a ValidationError when `length` is out of range.",
    ),
]
PasswordStrengthResult = Annotated[
    PasswordStrengthType | AnyUserError,
    strawberry.union(
        "PasswordStrengthResult",
        description="The strength, or a ValidationError for a password over 128 characters.",
    ),
]
DomainAvailabilityResult = Annotated[
    DomainAvailability | AnyUserError,
    strawberry.union(
        "DomainAvailabilityResult",
        description="The registry's answer, or why it could not be asked (NotAllowed, "
        "ValidationError, RuleViolation when the registry is not configured or unavailable).",
    ),
]


# --- mutation inputs --------------------------------------------------------------------------


@strawberry.input(description="A RADIUS login; leave login out to have it generated.")
class AddRadiusLoginInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan (global or database id); its offer must allow this kind and it "
        "must not be cancelled."
    )
    password: str = strawberry.field(
        description="Its password: at most 128 characters, not VERY_WEAK (the strength is "
        "answered); stored only as a hash."
    )
    login: str | None = strawberry.field(
        default=None,
        description="1 to 64 of a-z, 0-9, '.', '_', '-' (stored lower-case), not taken. "
        "Generated from the configured pattern when left out and the system variable "
        "auto_generate_radius_login is on.",
    )
    domain: str | None = strawberry.field(
        default=None, description="Required when the plan's offer requires a domain."
    )
    fixed_ip: str | None = strawberry.field(
        default=None,
        description="An address the plan already holds as an IP service; null: no fixed IP.",
    )


@strawberry.input(description="A mailbox login@domain.")
class AddEmailInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan (global or database id); its offer must allow this kind and it "
        "must not be cancelled."
    )
    login: str = strawberry.field(
        description="The part before the @: 1 to 64 of a-z, 0-9, '.', '_', '-' (stored "
        "lower-case); login@domain must not be taken."
    )
    password: str = strawberry.field(
        description="Its password: at most 128 characters, not VERY_WEAK (the strength is "
        "answered); stored only as a hash."
    )
    domain: str | None = strawberry.field(
        default=None,
        description="One of the ISP's e-mail domains or a domain hosted for the customer; "
        "defaults to the ISP's first e-mail domain (system variable email_domain).",
    )
    quota_mb: int | None = strawberry.field(
        default=None, description="Mailbox size in megabytes, 1 to 102400; defaults to 1024."
    )


@strawberry.input(description="An extra address delivering to one of the plan's mailboxes.")
class AddEmailAliasInput:
    email_id: strawberry.ID = strawberry.field(
        description="The mailbox (an EmailAccount's global or database id) it delivers to; the "
        "mailbox must be live and its plan's offer must allow aliases."
    )
    login: str = strawberry.field(
        description="The part before the @, as a mailbox login; login@domain must not be taken."
    )
    domain: str | None = strawberry.field(
        default=None,
        description="Defaults to the mailbox's; otherwise one of the ISP's e-mail domains or a "
        "domain hosted for the customer.",
    )


@strawberry.input(description="A fixed IP from the offer's pool: the next free one, or `address`.")
class AddIpAddressInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan (global or database id); its offer must allow this kind and it "
        "must not be cancelled."
    )
    address: str | None = strawberry.field(
        default=None,
        description="A free host address of the pool (not its network, broadcast or gateway "
        "address); null: the pool's lowest free one.",
    )


@strawberry.input(description="A phone number (terminal de voz) for the plan.")
class AddVoiceTerminalInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan (global or database id); its offer must allow this kind and it "
        "must not be cancelled."
    )
    phone_number: str = strawberry.field(
        description="The number with country and area code, e.g. +5511912345678 (10 to 15 "
        "digits); not in use."
    )
    sip_username: str | None = strawberry.field(
        default=None,
        description="Its SIP user: 1 to 64 of a-z, 0-9, '.', '_', '-' (stored lower-case), not "
        "in use; null: none.",
    )


@strawberry.input(description="An optical network unit for the plan.")
class AddOnuInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan (global or database id); its offer must allow this kind and it "
        "must not be cancelled."
    )
    serial: str = strawberry.field(
        description="8 to 32 letters and digits (stored upper-case); not in use."
    )
    olt: str = strawberry.field(description="The OLT it connects to, 1 to 80 characters.")
    pon_port: int = strawberry.field(description="The OLT's PON port, 0 to 255.")


@strawberry.input(description="A domain hosted for the customer, registered elsewhere.")
class AddDomainInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan (global or database id); its offer must allow this kind and it "
        "must not be cancelled."
    )
    name: str = strawberry.field(
        description="A fully qualified name such as example.com.br (stored lower-case); not "
        "hosted already."
    )


@strawberry.input(description="Registers a name at the registry for `years` and hosts it.")
class RegisterDomainInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan (global or database id); its offer must allow this kind and it "
        "must not be cancelled."
    )
    name: str = strawberry.field(
        description="A fully qualified name such as example.com.br; it may be hosted "
        "unregistered on this plan already (it is then registered in place)."
    )
    years: int = strawberry.field(description="Registration period, 1 to 10 years.")


@strawberry.input(description="A dedicated link (circuito) for the plan.")
class AddCircuitInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan (global or database id); its offer must allow this kind and it "
        "must not be cancelled."
    )
    identifier: str = strawberry.field(
        description="1 to 60 letters, digits, spaces or - _ . / : #, starting with a letter or "
        "digit (stored upper-case); not in use."
    )
    bandwidth_kbps: int = strawberry.field(description="Bandwidth in kbps, 1 to 100000000.")
    endpoint_a: str = strawberry.field(description="One end of the link, 1 to 200 characters.")
    endpoint_b: str = strawberry.field(
        description="The other end of the link, 1 to 200 characters."
    )


@strawberry.input(
    description="An extra service from the catalog; start date and billing type come from it."
)
class AddExtraServiceInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan (global or database id); its offer must allow this kind and it "
        "must not be cancelled."
    )
    definition_id: strawberry.ID = strawberry.field(
        description="The catalog entry (ExtraServiceDefinition); it must be active."
    )
    first_due_date: dt.date = strawberry.field(
        description="Due date of the first installment (data vencimento), today or later "
        "(UTC); the others follow monthly."
    )
    value: Decimal | None = strawberry.field(
        default=None,
        description="The value in R$, zero or more with at most two decimals (the total for "
        "INSTALLMENTS, each charge's otherwise); defaults to the catalog's value.",
    )
    installments: int = strawberry.field(
        default=1, description="Number of installments, 1 to 60; exactly 1 for ONE_TIME."
    )
    complement: str | None = strawberry.field(
        default=None, description="Free text completing its name, at most 200 characters."
    )
    contact_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the plan's customer's contacts."
    )
    notes: str | None = bounded(
        max_length=MAX_NOTES, multiline=True, default=None, description="Notes (observações)."
    )


@strawberry.input(description="An antivirus licence for the plan; its key is generated.")
class AddAntivirusInput:
    plan_id: strawberry.ID = strawberry.field(
        description="The plan (global or database id); its offer must allow this kind and it "
        "must not be cancelled."
    )
    seats: int = strawberry.field(default=1, description="Devices it protects, 1 to 100.")
    activate: bool = strawberry.field(
        default=True, description="False adds it SUSPENDED, to be activated later."
    )


@strawberry.input(description="A RADIUS login or a mailbox, and its new password.")
class ChangeServicePasswordInput:
    service_id: strawberry.ID = strawberry.field(
        description="The RadiusLogin or EmailAccount (global or database id); it must be live."
    )
    password: str = strawberry.field(
        description="The new password: at most 128 characters, not VERY_WEAK; stored only as "
        "a hash."
    )


@strawberry.input(description="The service to remove.")
class RemoveServiceInput:
    service_id: strawberry.ID = strawberry.field(
        description="Any live service but an extra service (global or database id)."
    )


@strawberry.input(description="The extra service to cancel.")
class CancelExtraServiceInput:
    service_id: strawberry.ID = strawberry.field(
        description="The ExtraService (global or database id); it must not be ended."
    )


@strawberry.input(description="The antivirus licence to activate.")
class ActivateAntivirusInput:
    service_id: strawberry.ID = strawberry.field(
        description="A SUSPENDED AntivirusLicense (global or database id)."
    )


@strawberry.input(description="The antivirus licence to suspend.")
class SuspendAntivirusInput:
    service_id: strawberry.ID = strawberry.field(
        description="An ACTIVE AntivirusLicense (global or database id)."
    )


@strawberry.input(description="The antivirus licence to delete.")
class DeleteAntivirusInput:
    service_id: strawberry.ID = strawberry.field(
        description="A live AntivirusLicense (global or database id)."
    )


# --- payloads ---------------------------------------------------------------------------------


@strawberry.type(description="The RADIUS login added.")
class AddRadiusLoginSuccess:
    service: RadiusLoginType = strawberry.field(description="The new login.")
    plan: PlanType = strawberry.field(description="The plan the service is on.")
    password_strength: PasswordStrengthType = strawberry.field(
        description="The strength of the password it was given."
    )


@strawberry.type(description="The mailbox added.")
class AddEmailSuccess:
    service: EmailAccountType = strawberry.field(description="The new mailbox.")
    plan: PlanType = strawberry.field(description="The plan the service is on.")
    password_strength: PasswordStrengthType = strawberry.field(
        description="The strength of the password it was given."
    )


@strawberry.type(description="The alias added.")
class AddEmailAliasSuccess:
    service: EmailAliasType = strawberry.field(description="The new alias.")
    plan: PlanType = strawberry.field(description="The plan the service is on.")


@strawberry.type(description="The fixed IP allocated.")
class AddIpAddressSuccess:
    service: IpAssignmentType = strawberry.field(description="The new IP service.")
    plan: PlanType = strawberry.field(description="The plan the service is on.")


@strawberry.type(description="The phone number added.")
class AddVoiceTerminalSuccess:
    service: VoiceTerminalType = strawberry.field(description="The new voice terminal.")
    plan: PlanType = strawberry.field(description="The plan the service is on.")


@strawberry.type(description="The ONU added.")
class AddOnuSuccess:
    service: OnuType = strawberry.field(description="The new ONU.")
    plan: PlanType = strawberry.field(description="The plan the service is on.")


@strawberry.type(description="The domain now hosted.")
class AddDomainSuccess:
    service: HostedDomainType = strawberry.field(
        description="The hosted domain (registered: false)."
    )
    plan: PlanType = strawberry.field(description="The plan the service is on.")


@strawberry.type(description="The domain registered and hosted.")
class RegisterDomainSuccess:
    service: HostedDomainType = strawberry.field(
        description="The hosted domain, with its registration period and expiry."
    )
    plan: PlanType = strawberry.field(description="The plan the service is on.")


@strawberry.type(description="The circuit added.")
class AddCircuitSuccess:
    service: CircuitType = strawberry.field(description="The new circuit.")
    plan: PlanType = strawberry.field(description="The plan the service is on.")


@strawberry.type(description="The extra service and the receivables of its installments.")
class AddExtraServiceSuccess:
    service: ExtraServiceType = strawberry.field(description="The new extra service.")
    plan: PlanType = strawberry.field(description="The plan the service is on.")
    receivables: list[ReceivableType] = strawberry.field(
        description="One OPEN receivable per installment, by due date; none for a zero value."
    )
    repeated: bool = strawberry.field(
        default=False,
        description=(
            "True when this is the same extra service added to the plan less than a minute "
            "before, answered again: nothing new was added or charged."
        ),
    )


@strawberry.type(description="The cancelled service, the receivables kept (already billed).")
class CancelExtraServiceSuccess:
    service: ExtraServiceType = strawberry.field(description="The service, now CANCELLED.")
    plan: PlanType = strawberry.field(description="The plan the service is on.")
    kept_receivables: list[ReceivableType] = strawberry.field(
        description="Its installments that were billed or are not open, which stay owed or paid."
    )
    dropped_installments: int = strawberry.field(
        description="Installments not yet billed, dropped by the cancellation."
    )


@strawberry.type(description="The antivirus licence added.")
class AddAntivirusSuccess:
    service: AntivirusLicenseType = strawberry.field(description="The new licence.")
    plan: PlanType = strawberry.field(description="The plan the service is on.")


@strawberry.type(description="The licence after activating or suspending it.")
class AntivirusLicenseSuccess:
    service: AntivirusLicenseType = strawberry.field(description="The licence, changed.")
    plan: PlanType = strawberry.field(description="The plan the service is on.")


@strawberry.type(description="The password was changed; it is never returned.")
class ChangeServicePasswordSuccess:
    service: ServiceInterface = strawberry.field(
        description="The RadiusLogin or EmailAccount whose password changed."
    )
    password_strength: PasswordStrengthType = strawberry.field(
        description="The strength of the new password."
    )


@strawberry.type(description="The removed service, and every service that ended with it.")
class RemoveServiceSuccess:
    service: ServiceInterface = strawberry.field(description="The service, now CANCELLED.")
    plan: PlanType = strawberry.field(description="The plan the service is on.")
    ended: list[ServiceInterface] = strawberry.field(
        description="Every service that ended with it, the removed one first (a mailbox's "
        "aliases end with it)."
    )


def _result(success: type, name: str, action: str) -> Any:
    return Annotated[success | AnyUserError, strawberry.union(name, description=answers(action))]


AddRadiusLoginResult = _result(AddRadiusLoginSuccess, "AddRadiusLoginResult", "addRadiusLogin")
AddEmailResult = _result(AddEmailSuccess, "AddEmailResult", "addEmail")
AddEmailAliasResult = _result(AddEmailAliasSuccess, "AddEmailAliasResult", "addEmailAlias")
AddIpAddressResult = _result(AddIpAddressSuccess, "AddIpAddressResult", "addIpAddress")
AddVoiceTerminalResult = _result(
    AddVoiceTerminalSuccess, "AddVoiceTerminalResult", "addVoiceTerminal"
)
AddOnuResult = _result(AddOnuSuccess, "AddOnuResult", "addOnu")
AddDomainResult = _result(AddDomainSuccess, "AddDomainResult", "addDomain")
RegisterDomainResult = _result(RegisterDomainSuccess, "RegisterDomainResult", "registerDomain")
AddCircuitResult = _result(AddCircuitSuccess, "AddCircuitResult", "addCircuit")
AddExtraServiceResult = _result(AddExtraServiceSuccess, "AddExtraServiceResult", "addExtraService")
CancelExtraServiceResult = _result(
    CancelExtraServiceSuccess, "CancelExtraServiceResult", "cancelExtraService"
)
AddAntivirusResult = _result(AddAntivirusSuccess, "AddAntivirusResult", "addAntivirus")
ActivateAntivirusResult = _result(
    AntivirusLicenseSuccess, "ActivateAntivirusResult", "activateAntivirus"
)
SuspendAntivirusResult = _result(
    AntivirusLicenseSuccess, "SuspendAntivirusResult", "suspendAntivirus"
)
DeleteAntivirusResult = _result(RemoveServiceSuccess, "DeleteAntivirusResult", "deleteAntivirus")
ChangeServicePasswordResult = _result(
    ChangeServicePasswordSuccess, "ChangeServicePasswordResult", "changeServicePassword"
)
RemoveServiceResult = _result(RemoveServiceSuccess, "RemoveServiceResult", "removeService")


# --- resolvers --------------------------------------------------------------------------------
