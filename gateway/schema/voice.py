"""The voice reseller's panel (manual 004): its subscribers, lines, franchises and permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from domain import models as m
from domain.errors import ValidationFailed
from domain.models import enums as domain_enums
from domain.reads import voice as reads
from domain.rules import franchise as rules
from gateway.loaders import portal as loaders
from gateway.schema.base import CustomerKind, FromModel, Info, Node
from gateway.schema.customers import CustomerType
from gateway.schema.errors import (
    AnyUserError,
    user_error,
)
from gateway.schema.portal import PeriodInput, check_period
from gateway.schema.relations import Derived, Fetch, Relation

FranchiseCategory = strawberry.enum(domain_enums.FranchiseCategory)
VoicePermission = strawberry.enum(domain_enums.VoicePermission)
VoiceLineStatus = strawberry.enum(domain_enums.VoiceLineStatus)

RESELLER_SUBSCRIBERS = Relation(
    "VoiceReseller", "subscribers", loaders.VoiceSubscribersByResellerIdLoader, "id",
    "VoiceSubscriber", many=True,
)  # fmt: skip
RESELLER_SALE_PLANS = Relation(
    "VoiceReseller", "salePlans", loaders.VoiceSalePlansByResellerIdLoader, "id",
    "VoiceSalePlan", many=True,
)  # fmt: skip
SUBSCRIBER_SALE_PLAN = Relation(
    "VoiceSubscriber", "salePlan", loaders.VoiceSalePlanByIdLoader, "sale_plan_id",
    "VoiceSalePlan", many=False,
)  # fmt: skip
SUBSCRIBER_LINES = Relation(
    "VoiceSubscriber", "lines", loaders.VoiceLinesBySubscriberIdLoader, "id", "VoiceLine", True
)
LINE_EXTENSIONS = Relation(
    "VoiceLine", "extensions", loaders.VoiceExtensionsByLineIdLoader, "id", "VoiceExtension",
    many=True, sort=("extension",),
)  # fmt: skip
EXTENSION_LINE = Relation(
    "VoiceExtension", "line", loaders.VoiceLineByIdLoader, "line_id", "VoiceLine", many=False
)
SUBSCRIBER_FRANCHISES = Relation(
    "VoiceSubscriber", "franchises", loaders.VoiceFranchisesBySubscriberIdLoader, "id",
    "VoiceFranchise", many=True,
)  # fmt: skip
SUBSCRIBER_PERMISSIONS = Relation(
    "VoiceSubscriber", "permissions", loaders.VoicePermissionsBySubscriberIdLoader, "id",
    "VoicePermissionGrant", many=True, scalar="permission",
)  # fmt: skip


@strawberry.type(name="VoiceSalePlan", description="A sale plan the reseller assigns.")
class VoiceSalePlanType(FromModel, Node):
    graphql_name = "VoiceSalePlan"
    model = m.VoiceSalePlan
    database_id: int
    name: str
    monthly_price: Decimal


@strawberry.type(name="VoiceLine", description="A line or extension of a voice subscriber.")
class VoiceLineType(FromModel, Node):
    graphql_name = "VoiceLine"
    model = m.VoiceLine
    database_id: int
    number: str
    extension: str
    simultaneous_ip_lines: int
    status: VoiceLineStatus

    @strawberry.field(
        description="The line's extensions (ramais), by extension number; managed by the "
        "reseller, or by the voice subscriber when granted MANAGE_EXTENSIONS."
    )
    async def extensions(self, info: Info) -> list[VoiceExtensionType]:
        return await LINE_EXTENSIONS.resolve(self, info)


@strawberry.type(
    name="VoiceExtension",
    description="An extension (ramal) of a voice line: a short number dialled inside the "
    "subscriber's PABX, and the name its calls show.",
)
class VoiceExtensionType(FromModel, Node):
    graphql_name = "VoiceExtension"
    model = m.VoiceExtension
    database_id: int
    extension: str = strawberry.field(description="2 to 10 digits, unique for the subscriber.")
    name: str = strawberry.field(description="The extension's name, e.g. Recepção.")
    created_at: dt.datetime = strawberry.field(description="When the extension was added.")
    line_id: strawberry.Private[int]

    @strawberry.field(description="The line the extension belongs to.")
    async def line(self, info: Info) -> VoiceLineType | None:
        return await EXTENSION_LINE.resolve(self, info)


@strawberry.type(name="VoiceFranchise", description="Minutes a month for one call category.")
class VoiceFranchiseType(FromModel):
    graphql_name = "VoiceFranchise"
    model = m.VoiceFranchise
    category: FranchiseCategory
    minutes: int
    consumes_local: bool = strawberry.field(
        description="An LDN category also uses the local franchise once its own runs out."
    )


@strawberry.type(description="A category's franchise after a period's calls.")
class FranchiseBalance:
    category: FranchiseCategory
    granted_minutes: int
    used_minutes: int
    from_local_minutes: int = strawberry.field(description="LDN minutes the local one covered.")
    taken_by_ldn_minutes: int = strawberry.field(description="Local minutes LDN calls used.")
    remaining_minutes: int
    exceeding_minutes: int = strawberry.field(description="Minutes no franchise covered.")


@strawberry.type(description="Each category's balance for the period.")
class FranchiseBalances:
    balances: list[FranchiseBalance]


FranchiseBalanceResult = Annotated[
    FranchiseBalances | AnyUserError, strawberry.union("FranchiseBalanceResult")
]


@strawberry.type(name="VoiceSubscriber", description="A reseller's voice subscriber.")
class VoiceSubscriberType(FromModel, Node):
    graphql_name = "VoiceSubscriber"
    model = m.VoiceSubscriber
    database_id: int
    kind: CustomerKind
    name: str
    document: str
    email: str | None
    phone: str | None
    cep: str
    street: str
    number: str
    complement: str | None
    district: str
    city: str
    state: str
    credit_limit: Decimal
    monthly_limit: Decimal
    panel_username: str
    created_at: dt.datetime
    sale_plan_id: strawberry.Private[int | None]

    @strawberry.field
    async def sale_plan(self, info: Info) -> VoiceSalePlanType | None:
        return await SUBSCRIBER_SALE_PLAN.resolve(self, info)

    @strawberry.field
    async def lines(self, info: Info) -> list[VoiceLineType]:
        return await SUBSCRIBER_LINES.resolve(self, info)

    @strawberry.field
    async def franchises(self, info: Info) -> list[VoiceFranchiseType]:
        return await SUBSCRIBER_FRANCHISES.resolve(self, info)

    @strawberry.field(description="What the subscriber may do in its own panel.")
    async def permissions(self, info: Info) -> list[VoicePermission]:
        return await SUBSCRIBER_PERMISSIONS.resolve(self, info)

    @strawberry.field(description="Remaining minutes per category after the period's calls.")
    async def franchise_balance(self, info: Info, period: PeriodInput) -> FranchiseBalanceResult:
        arguments = {"period": {"start": period.start, "end": period.end}}
        return await SUBSCRIBER_FRANCHISE_BALANCE.resolve(self, info, **arguments)  # type: ignore[no-any-return]


async def franchise_balances(
    fetch: Fetch, subscriber_ids: list[int], arguments: dict[str, Any]
) -> dict[int, Any]:
    """Each subscriber's FranchiseBalances for the period (or the period's ValidationError):
    two statements for any number of subscribers."""
    period = PeriodInput(start=arguments["period"]["start"], end=arguments["period"]["end"])
    try:
        check_period(period)
    except ValidationFailed as error:
        return dict.fromkeys(subscriber_ids, user_error(error))
    grants: dict[int, dict[Any, rules.Grant]] = {key: {} for key in subscriber_ids}
    for subscriber, category, minutes, consumes_local in await fetch(
        reads.FRANCHISES, subscriber_ids
    ):
        grants[subscriber][domain_enums.FranchiseCategory[category]] = rules.Grant(
            minutes, consumes_local
        )
    calls: dict[int, list[Any]] = {key: [] for key in subscriber_ids}
    for subscriber, termination, seconds in await fetch(
        reads.CALL_USAGE, subscriber_ids, {"start": period.start, "end": period.end}
    ):
        calls[subscriber].append((domain_enums.CallTermination[termination], seconds))
    return {
        key: FranchiseBalances(
            balances=[
                FranchiseBalance(
                    category=b.category,
                    granted_minutes=b.granted,
                    used_minutes=b.used,
                    from_local_minutes=b.from_local,
                    taken_by_ldn_minutes=b.taken_by_ldn,
                    remaining_minutes=b.remaining,
                    exceeding_minutes=b.exceeding,
                )
                for b in rules.balances(grants[key], rules.used_minutes(calls[key]))
            ]
        )
        for key in subscriber_ids
    }


SUBSCRIBER_FRANCHISE_BALANCE = Derived(
    "VoiceSubscriber", "franchiseBalance", "id", franchise_balances,
    models=(m.VoiceFranchise, m.CallRecord, m.VoiceLine),
)  # fmt: skip


@strawberry.type(name="VoiceReseller", description="A reseller of voice service (PABX virtual).")
class VoiceResellerType(FromModel, Node):
    graphql_name = "VoiceReseller"
    model = m.VoiceReseller
    database_id: int
    name: str
    document: str
    created_at: dt.datetime

    @strawberry.field
    async def subscribers(self, info: Info) -> list[VoiceSubscriberType]:
        return await RESELLER_SUBSCRIBERS.resolve(self, info)

    @strawberry.field
    async def sale_plans(self, info: Info) -> list[VoiceSalePlanType]:
        return await RESELLER_SALE_PLANS.resolve(self, info)


Me = Annotated[CustomerType | VoiceResellerType | VoiceSubscriberType, strawberry.union("Me")]


@strawberry.input(description="A voice subscriber's registration; on update, null keeps a field.")
class VoiceSubscriberFields:
    kind: CustomerKind | None = None
    name: str | None = None
    document: str | None = strawberry.field(default=None, description="CPF or CNPJ.")
    email: str | None = None
    phone: str | None = None
    cep: str | None = None
    street: str | None = None
    number: str | None = None
    complement: str | None = None
    district: str | None = None
    city: str | None = None
    state: str | None = None
    credit_limit: Decimal | None = None
    monthly_limit: Decimal | None = None
    sale_plan_id: strawberry.ID | None = None


@strawberry.input
class CreateVoiceSubscriberInput:
    subscriber: VoiceSubscriberFields
    panel_username: str
    panel_password: str | None = strawberry.field(
        default=None, description="Chosen password; one is generated (and returned) if null."
    )
    reseller_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff only: whose subscriber."
    )


@strawberry.type
class VoiceSubscriberSuccess:
    subscriber: VoiceSubscriberType
    generated_password: str | None = strawberry.field(
        default=None, description="Shown once: the password generated for the panel."
    )


VoiceSubscriberResult = Annotated[
    VoiceSubscriberSuccess | AnyUserError, strawberry.union("VoiceSubscriberResult")
]


@strawberry.input
class UpdateVoiceSubscriberInput:
    subscriber_id: strawberry.ID
    subscriber: VoiceSubscriberFields


@strawberry.input
class SetVoicePanelCredentialsInput:
    subscriber_id: strawberry.ID
    username: str
    password: str | None = None


@strawberry.input
class AddVoiceLineInput:
    subscriber_id: strawberry.ID
    number: str
    extension: str
    simultaneous_ip_lines: int = 1


@strawberry.type
class AddVoiceLineSuccess:
    line: VoiceLineType


AddVoiceLineResult = Annotated[
    AddVoiceLineSuccess | AnyUserError, strawberry.union("AddVoiceLineResult")
]


@strawberry.input
class VoiceFranchiseInput:
    category: FranchiseCategory
    minutes: int
    consumes_local: bool = False


@strawberry.input
class SetVoiceFranchisesInput:
    subscriber_id: strawberry.ID
    franchises: list[VoiceFranchiseInput]


@strawberry.type
class SetVoiceFranchisesSuccess:
    franchises: list[VoiceFranchiseType]


SetVoiceFranchisesResult = Annotated[
    SetVoiceFranchisesSuccess | AnyUserError, strawberry.union("SetVoiceFranchisesResult")
]


@strawberry.input
class SetVoicePermissionsInput:
    subscriber_id: strawberry.ID
    permissions: list[VoicePermission]


@strawberry.type
class SetVoicePermissionsSuccess:
    permissions: list[VoicePermission]


SetVoicePermissionsResult = Annotated[
    SetVoicePermissionsSuccess | AnyUserError, strawberry.union("SetVoicePermissionsResult")
]


@strawberry.type(
    description="Whether a panel username may be used (manual 004: suggest a username, then "
    "validate it); createVoiceSubscriber and setVoicePanelCredentials apply the same check."
)
class VoicePanelUsernameCheck:
    username: str = strawberry.field(description="The username as it would be stored.")
    available: bool = strawberry.field(
        description="True when it is valid and no other voice subscriber, of any reseller, has it."
    )
    problem: str | None = strawberry.field(
        description="Why it may not be used; null when available."
    )
    suggestion: str | None = strawberry.field(
        description="A free, valid username close to the one asked; null when available."
    )


VoicePanelUsernameResult = Annotated[
    VoicePanelUsernameCheck | AnyUserError,
    strawberry.union(
        "VoicePanelUsernameResult", description="The username check, or why it was refused."
    ),
]
