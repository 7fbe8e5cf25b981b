"""Adicionar Serviço: one mutation per kind of service, removing and cancelling them, changing
passwords, and the password and domain queries that go with them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import strawberry

from domain.actions.extra_services import MAX_NOTES
from domain.rules import passwords
from gateway.schema.billing import ReceivableType
from gateway.schema.bounds import bounded
from gateway.schema.errors import (
    AnyUserError,
)
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

PasswordBand = strawberry.enum(
    passwords.Band, name="PasswordBand", description="The manual's strength bands."
)
PasswordRule = strawberry.enum(
    passwords.Rule, name="PasswordRule", description="An addition or deduction of the meter."
)

SERVICE_TYPE_NAMES = tuple(cls.graphql_name for cls in SERVICE_TYPES.values())


# --- password and domain queries -------------------------------------------------------------


@strawberry.type(description="One rule of the meter that applied, and the points it gave.")
class PasswordRuleScore:
    rule: PasswordRule  # type: ignore[valid-type]
    count: int = strawberry.field(description="How many characters or runs matched.")
    points: int = strawberry.field(description="Positive for additions, negative for deductions.")


@strawberry.type(name="PasswordStrength", description="A password's score, as passwordmeter.com.")
class PasswordStrengthType:
    score: int = strawberry.field(description="0 to 100.")
    band: PasswordBand  # type: ignore[valid-type]
    requirements_met: bool = strawberry.field(
        description="At least 8 characters and 3 of upper, lower, digits and symbols."
    )
    rules: list[PasswordRuleScore]

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
    password: str
    strength: PasswordStrengthType


@strawberry.type(description="Whether the registry can register a name now.")
class DomainAvailability:
    name: str
    available: bool


GeneratePasswordResult = Annotated[
    GeneratedPassword | AnyUserError, strawberry.union("GeneratePasswordResult")
]
PasswordStrengthResult = Annotated[
    PasswordStrengthType | AnyUserError, strawberry.union("PasswordStrengthResult")
]
DomainAvailabilityResult = Annotated[
    DomainAvailability | AnyUserError, strawberry.union("DomainAvailabilityResult")
]


# --- mutation inputs --------------------------------------------------------------------------


@strawberry.input(description="A RADIUS login; leave login out to have it generated.")
class AddRadiusLoginInput:
    plan_id: strawberry.ID
    password: str
    login: str | None = strawberry.field(
        default=None,
        description="Generated from the configured pattern when left out and the system "
        "variable auto_generate_radius_login is on.",
    )
    domain: str | None = strawberry.field(
        default=None, description="Required when the plan's offer requires a domain."
    )
    fixed_ip: str | None = strawberry.field(
        default=None, description="An address the plan already holds as an IP service."
    )


@strawberry.input(description="A mailbox login@domain.")
class AddEmailInput:
    plan_id: strawberry.ID
    login: str
    password: str
    domain: str | None = strawberry.field(
        default=None, description="Defaults to the ISP's e-mail domain (system variable)."
    )
    quota_mb: int | None = None


@strawberry.input(description="An extra address delivering to one of the plan's mailboxes.")
class AddEmailAliasInput:
    email_id: strawberry.ID
    login: str
    domain: str | None = strawberry.field(default=None, description="Defaults to the mailbox's.")


@strawberry.input(description="A fixed IP from the offer's pool: the next free one, or `address`.")
class AddIpAddressInput:
    plan_id: strawberry.ID
    address: str | None = None


@strawberry.input
class AddVoiceTerminalInput:
    plan_id: strawberry.ID
    phone_number: str
    sip_username: str | None = None


@strawberry.input
class AddOnuInput:
    plan_id: strawberry.ID
    serial: str
    olt: str
    pon_port: int


@strawberry.input(description="A domain hosted for the customer, registered elsewhere.")
class AddDomainInput:
    plan_id: strawberry.ID
    name: str


@strawberry.input(description="Registers a name at the registry for `years` and hosts it.")
class RegisterDomainInput:
    plan_id: strawberry.ID
    name: str
    years: int = strawberry.field(description="Registration period, 1 to 10 years.")


@strawberry.input
class AddCircuitInput:
    plan_id: strawberry.ID
    identifier: str
    bandwidth_kbps: int
    endpoint_a: str
    endpoint_b: str


@strawberry.input(
    description="An extra service from the catalog; start date and billing type come from it."
)
class AddExtraServiceInput:
    plan_id: strawberry.ID
    definition_id: strawberry.ID
    first_due_date: dt.date
    value: Decimal | None = strawberry.field(
        default=None, description="Defaults to the catalog's value."
    )
    installments: int = 1
    complement: str | None = None
    contact_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the plan's customer's contacts."
    )
    notes: str | None = bounded(
        max_length=MAX_NOTES, multiline=True, default=None, description="Notes for the ISP."
    )


@strawberry.input
class AddAntivirusInput:
    plan_id: strawberry.ID
    seats: int = 1
    activate: bool = True


@strawberry.input(description="A RADIUS login or a mailbox, and its new password.")
class ChangeServicePasswordInput:
    service_id: strawberry.ID
    password: str


@strawberry.input
class RemoveServiceInput:
    service_id: strawberry.ID


@strawberry.input
class CancelExtraServiceInput:
    service_id: strawberry.ID


@strawberry.input
class ActivateAntivirusInput:
    service_id: strawberry.ID


@strawberry.input
class SuspendAntivirusInput:
    service_id: strawberry.ID


@strawberry.input
class DeleteAntivirusInput:
    service_id: strawberry.ID


# --- payloads ---------------------------------------------------------------------------------


@strawberry.type
class AddRadiusLoginSuccess:
    service: RadiusLoginType
    plan: PlanType
    password_strength: PasswordStrengthType


@strawberry.type
class AddEmailSuccess:
    service: EmailAccountType
    plan: PlanType
    password_strength: PasswordStrengthType


@strawberry.type
class AddEmailAliasSuccess:
    service: EmailAliasType
    plan: PlanType


@strawberry.type
class AddIpAddressSuccess:
    service: IpAssignmentType
    plan: PlanType


@strawberry.type
class AddVoiceTerminalSuccess:
    service: VoiceTerminalType
    plan: PlanType


@strawberry.type
class AddOnuSuccess:
    service: OnuType
    plan: PlanType


@strawberry.type
class AddDomainSuccess:
    service: HostedDomainType
    plan: PlanType


@strawberry.type
class RegisterDomainSuccess:
    service: HostedDomainType
    plan: PlanType


@strawberry.type
class AddCircuitSuccess:
    service: CircuitType
    plan: PlanType


@strawberry.type(description="The extra service and the receivables of its installments.")
class AddExtraServiceSuccess:
    service: ExtraServiceType
    plan: PlanType
    receivables: list[ReceivableType]
    repeated: bool = strawberry.field(
        default=False,
        description=(
            "True when this is the same extra service added to the plan less than a minute "
            "before, answered again: nothing new was added or charged."
        ),
    )


@strawberry.type(description="The cancelled service, the receivables kept (already billed).")
class CancelExtraServiceSuccess:
    service: ExtraServiceType
    plan: PlanType
    kept_receivables: list[ReceivableType]
    dropped_installments: int = strawberry.field(
        description="Installments not yet billed, dropped by the cancellation."
    )


@strawberry.type
class AddAntivirusSuccess:
    service: AntivirusLicenseType
    plan: PlanType


@strawberry.type(description="The licence after activating or suspending it.")
class AntivirusLicenseSuccess:
    service: AntivirusLicenseType
    plan: PlanType


@strawberry.type(description="The password was changed; it is never returned.")
class ChangeServicePasswordSuccess:
    service: ServiceInterface
    password_strength: PasswordStrengthType


@strawberry.type(description="The removed service, and every service that ended with it.")
class RemoveServiceSuccess:
    service: ServiceInterface
    plan: PlanType
    ended: list[ServiceInterface]


def _result(success: type, name: str) -> Any:
    return Annotated[success | AnyUserError, strawberry.union(name)]


AddRadiusLoginResult = _result(AddRadiusLoginSuccess, "AddRadiusLoginResult")
AddEmailResult = _result(AddEmailSuccess, "AddEmailResult")
AddEmailAliasResult = _result(AddEmailAliasSuccess, "AddEmailAliasResult")
AddIpAddressResult = _result(AddIpAddressSuccess, "AddIpAddressResult")
AddVoiceTerminalResult = _result(AddVoiceTerminalSuccess, "AddVoiceTerminalResult")
AddOnuResult = _result(AddOnuSuccess, "AddOnuResult")
AddDomainResult = _result(AddDomainSuccess, "AddDomainResult")
RegisterDomainResult = _result(RegisterDomainSuccess, "RegisterDomainResult")
AddCircuitResult = _result(AddCircuitSuccess, "AddCircuitResult")
AddExtraServiceResult = _result(AddExtraServiceSuccess, "AddExtraServiceResult")
CancelExtraServiceResult = _result(CancelExtraServiceSuccess, "CancelExtraServiceResult")
AddAntivirusResult = _result(AddAntivirusSuccess, "AddAntivirusResult")
ActivateAntivirusResult = _result(AntivirusLicenseSuccess, "ActivateAntivirusResult")
SuspendAntivirusResult = _result(AntivirusLicenseSuccess, "SuspendAntivirusResult")
DeleteAntivirusResult = _result(RemoveServiceSuccess, "DeleteAntivirusResult")
ChangeServicePasswordResult = _result(ChangeServicePasswordSuccess, "ChangeServicePasswordResult")
RemoveServiceResult = _result(RemoveServiceSuccess, "RemoveServiceResult")


# --- resolvers --------------------------------------------------------------------------------
