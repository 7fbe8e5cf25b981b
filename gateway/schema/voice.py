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
from gateway.schema.base import DATABASE_ID, CustomerKind, FromModel, Info, Node, described_enum
from gateway.schema.customers import CustomerType
from gateway.schema.errors import AnyUserError, answers, user_error
from gateway.schema.portal import PeriodInput, check_period
from gateway.schema.relations import Derived, Fetch, Relation

FranchiseCategory = described_enum(
    domain_enums.FranchiseCategory,
    "A call category of a minute franchise (Franquia de Minutos, manual 004); each call "
    "termination type counts against its own category.",
    {
        "FIXED_LOCAL": "Fixed phones in the caller's area (Fixo Local).",
        "FIXED_LDN": "Fixed phones in another area of the country (Fixo LDN); may consume "
        "from the FIXED_LOCAL franchise.",
        "MOBILE_LOCAL": "Mobile phones in the caller's area (Móvel Local).",
        "MOBILE_LDN": "Mobile phones in another area of the country (Móvel LDN); may consume "
        "from the MOBILE_LOCAL franchise.",
        "INTERNATIONAL_FIXED": "Fixed phones abroad.",
        "INTERNATIONAL_MOBILE": "Mobile phones abroad.",
    },
)
VoicePermission = described_enum(
    domain_enums.VoicePermission,
    "What a voice subscriber may do in its own panel, as its reseller grants (Permissões de "
    "Acesso, manual 004; ADR 0095).",
    {
        "CHANGE_SIMULTANEOUS_IP_LINES": "Change its lines' simultaneous IP calls "
        "(setSimultaneousIpLines).",
        "VIEW_CALL_RECORDS": "Read its lines' calls (voiceLineCallStatement).",
        "MANAGE_EXTENSIONS": "Add, rename and remove its lines' extensions.",
        "CHANGE_PANEL_PASSWORD": "Change its own panel password (changeVoicePanelPassword).",
    },
)
VoiceLineStatus = described_enum(
    domain_enums.VoiceLineStatus,
    "Whether a voice line is in service.",
    {
        "ACTIVE": "In service (every line addVoiceLine adds starts so).",
        "BLOCKED": "Blocked; no gateway action blocks or unblocks a line.",
        "CANCELLED": "Cancelled: it takes no new extensions.",
    },
)

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


@strawberry.type(
    name="VoiceSalePlan",
    description="A sale plan (Plano de Venda) a reseller assigns to its voice subscribers.",
)
class VoiceSalePlanType(FromModel, Node):
    graphql_name = "VoiceSalePlan"
    model = m.VoiceSalePlan
    database_id: int = strawberry.field(description=DATABASE_ID)
    name: str = strawberry.field(description="Its name; unique for the reseller.")
    monthly_price: Decimal = strawberry.field(description="Its monthly price in R$, 0 or more.")


@strawberry.type(
    name="VoiceLine",
    description="A line of a voice subscriber (linha / ramal, manual 004). A reseller sees its "
    "own subscribers' lines, a voice subscriber its own.",
)
class VoiceLineType(FromModel, Node):
    graphql_name = "VoiceLine"
    model = m.VoiceLine
    database_id: int = strawberry.field(description=DATABASE_ID)
    number: str = strawberry.field(
        description="The line's phone number: digits, optionally after a '+'; unique."
    )
    extension: str = strawberry.field(
        description="The line's own extension, 2 to 10 digits, unique among the subscriber's "
        "extensions."
    )
    simultaneous_ip_lines: int = strawberry.field(
        description="How many calls it may carry at once (Linhas IP), 1 to 100."
    )
    status: VoiceLineStatus = strawberry.field(description="Whether it is in service.")

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
    database_id: int = strawberry.field(description=DATABASE_ID)
    extension: str = strawberry.field(description="2 to 10 digits, unique for the subscriber.")
    name: str = strawberry.field(description="The extension's name, e.g. Recepção.")
    created_at: dt.datetime = strawberry.field(description="When the extension was added.")
    line_id: strawberry.Private[int]

    @strawberry.field(description="The line the extension belongs to.")
    async def line(self, info: Info) -> VoiceLineType | None:
        return await EXTENSION_LINE.resolve(self, info)


@strawberry.type(
    name="VoiceFranchise",
    description="Minutes a month for one call category (Franquia de Minutos).",
)
class VoiceFranchiseType(FromModel):
    graphql_name = "VoiceFranchise"
    model = m.VoiceFranchise
    category: FranchiseCategory = strawberry.field(description="The call category.")
    minutes: int = strawberry.field(description="Minutes granted, 0 to 1000000.")
    consumes_local: bool = strawberry.field(
        description="An LDN category also uses the local franchise once its own runs out "
        "(Consumir da franquia local); always false for other categories."
    )


@strawberry.type(description="A category's franchise after a period's calls.")
class FranchiseBalance:
    category: FranchiseCategory = strawberry.field(description="The call category.")
    granted_minutes: int = strawberry.field(
        description="The category's own franchise minutes; 0 when it has none."
    )
    used_minutes: int = strawberry.field(
        description="Minutes of the category's calls in the period; each started minute counts."
    )
    from_local_minutes: int = strawberry.field(description="LDN minutes the local one covered.")
    taken_by_ldn_minutes: int = strawberry.field(description="Local minutes LDN calls used.")
    remaining_minutes: int = strawberry.field(
        description="Of the granted minutes, those still free."
    )
    exceeding_minutes: int = strawberry.field(description="Minutes no franchise covered.")


@strawberry.type(description="Each category's balance for the period.")
class FranchiseBalances:
    balances: list[FranchiseBalance] = strawberry.field(
        description="One per category, all six, in FranchiseCategory's order."
    )


FranchiseBalanceResult = Annotated[
    FranchiseBalances | AnyUserError,
    strawberry.union("FranchiseBalanceResult", description=answers("franchiseBalance")),
]


@strawberry.type(
    name="VoiceSubscriber",
    description="A reseller's voice subscriber (Gerenciar Assinantes, manual 004): a person or "
    "company with lines, limits and panel access. A reseller sees its own; a voice subscriber "
    "itself; staff every one.",
)
class VoiceSubscriberType(FromModel, Node):
    graphql_name = "VoiceSubscriber"
    model = m.VoiceSubscriber
    database_id: int = strawberry.field(description=DATABASE_ID)
    kind: CustomerKind = strawberry.field(description="Person (CPF) or company (CNPJ).")
    name: str = strawberry.field(description="The person's or company's name.")
    document: str = strawberry.field(
        description="CPF (11 digits) or CNPJ (14 digits), digits only; unique for the reseller."
    )
    email: str | None = strawberry.field(description="E-mail address; null when not given.")
    phone: str | None = strawberry.field(description="Phone number; null when not given.")
    cep: str = strawberry.field(description="The address's CEP, 8 digits.")
    street: str = strawberry.field(description="Street (logradouro).")
    number: str = strawberry.field(description="Number in the street.")
    complement: str | None = strawberry.field(description="Complement; null when none.")
    district: str = strawberry.field(description="District (bairro).")
    city: str = strawberry.field(description="City.")
    state: str = strawberry.field(description="State, 2-letter code (UF).")
    credit_limit: Decimal = strawberry.field(
        description="Credit limit in R$ (aba Financeiro), 0 or more."
    )
    monthly_limit: Decimal = strawberry.field(
        description="Monthly spending limit in R$ (aba Financeiro), 0 or more."
    )
    panel_username: str = strawberry.field(
        description="The username of its PABX panel (Dados de Acesso), lower-case; unique "
        "across every reseller. The password is never shown."
    )
    created_at: dt.datetime = strawberry.field(description="When it was registered.")
    sale_plan_id: strawberry.Private[int | None]

    @strawberry.field(description="Its sale plan; null when none is assigned.")
    async def sale_plan(self, info: Info) -> VoiceSalePlanType | None:
        return await SUBSCRIBER_SALE_PLAN.resolve(self, info)

    @strawberry.field(description="Its lines, oldest first.")
    async def lines(self, info: Info) -> list[VoiceLineType]:
        return await SUBSCRIBER_LINES.resolve(self, info)

    @strawberry.field(description="Its minute franchises, at most one per category.")
    async def franchises(self, info: Info) -> list[VoiceFranchiseType]:
        return await SUBSCRIBER_FRANCHISES.resolve(self, info)

    @strawberry.field(
        description="What the subscriber may do in its own panel, as its reseller granted."
    )
    async def permissions(self, info: Info) -> list[VoicePermission]:
        return await SUBSCRIBER_PERMISSIONS.resolve(self, info)

    @strawberry.field(description="Remaining minutes per category after the period's calls.")
    async def franchise_balance(
        self,
        info: Info,
        period: Annotated[
            PeriodInput,
            strawberry.argument(description="The period whose calls count, at most 366 days."),
        ],
    ) -> FranchiseBalanceResult:
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


@strawberry.type(
    name="VoiceReseller",
    description="A reseller (revenda) of voice service (PABX virtual) and its voice "
    "subscribers. A reseller sees only itself.",
)
class VoiceResellerType(FromModel, Node):
    graphql_name = "VoiceReseller"
    model = m.VoiceReseller
    database_id: int = strawberry.field(description=DATABASE_ID)
    name: str = strawberry.field(description="The reseller's name.")
    document: str = strawberry.field(description="Its tax document, digits only; unique.")
    created_at: dt.datetime = strawberry.field(description="When it was registered.")

    @strawberry.field(description="Its voice subscribers, oldest first.")
    async def subscribers(self, info: Info) -> list[VoiceSubscriberType]:
        return await RESELLER_SUBSCRIBERS.resolve(self, info)

    @strawberry.field(description="Its sale plans, oldest first.")
    async def sale_plans(self, info: Info) -> list[VoiceSalePlanType]:
        return await RESELLER_SALE_PLANS.resolve(self, info)


Me = Annotated[
    CustomerType | VoiceResellerType | VoiceSubscriberType,
    strawberry.union(
        "Me",
        description="Who the caller is: its Customer (a subscriber), VoiceReseller (a voice "
        "reseller) or VoiceSubscriber (a voice subscriber).",
    ),
]


@strawberry.input(description="A voice subscriber's registration; on update, null keeps a field.")
class VoiceSubscriberFields:
    kind: CustomerKind | None = strawberry.field(
        default=None, description="Required to create; give it with the document it checks."
    )
    name: str | None = strawberry.field(default=None, description="Required to create.")
    document: str | None = strawberry.field(
        default=None,
        description="CPF or CNPJ with valid check digits (punctuation allowed); required to "
        "create; unique for the reseller.",
    )
    email: str | None = strawberry.field(default=None, description="An e-mail address.")
    phone: str | None = strawberry.field(
        default=None, description="8 to 19 digits, optionally '+', spaces, '(', ')' or '-'."
    )
    cep: str | None = strawberry.field(
        default=None,
        description="8 digits (a dash is allowed); required to create. Looked up: an unknown CEP "
        "is refused, and street, district, city and state left out come from it.",
    )
    street: str | None = strawberry.field(default=None, description="Null: from the CEP.")
    number: str | None = strawberry.field(default=None, description="Required to create.")
    complement: str | None = strawberry.field(default=None, description="Apartment, block...")
    district: str | None = strawberry.field(default=None, description="Null: from the CEP.")
    city: str | None = strawberry.field(default=None, description="Null: from the CEP.")
    state: str | None = strawberry.field(
        default=None, description="A Brazilian state's 2-letter code; null: from the CEP."
    )
    credit_limit: Decimal | None = strawberry.field(
        default=None, description="In R$, 0 to 9999999999.99; 0 when created without one."
    )
    monthly_limit: Decimal | None = strawberry.field(
        default=None, description="In R$, 0 to 9999999999.99; 0 when created without one."
    )
    sale_plan_id: strawberry.ID | None = strawberry.field(
        default=None, description="One of the reseller's sale plans."
    )


@strawberry.input(description="A new voice subscriber and its panel credentials.")
class CreateVoiceSubscriberInput:
    subscriber: VoiceSubscriberFields = strawberry.field(description="Its registration.")
    panel_username: str = strawberry.field(
        description="3 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit "
        "(stored lower-case); no other subscriber's, of any reseller: check it first with "
        "voicePanelUsername."
    )
    panel_password: str | None = strawberry.field(
        default=None,
        description="Chosen password: at most 128 characters, not VERY_WEAK; one is generated "
        "(and returned) if null.",
    )
    reseller_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Whose subscriber: staff must name the reseller; a reseller leaves it out.",
    )


@strawberry.type(description="The voice subscriber as saved.")
class VoiceSubscriberSuccess:
    subscriber: VoiceSubscriberType = strawberry.field(description="The subscriber.")
    generated_password: str | None = strawberry.field(
        default=None,
        description="Shown once: the panel password generated when none was chosen; null "
        "otherwise (never readable again).",
    )


VoiceSubscriberResult = Annotated[
    VoiceSubscriberSuccess | AnyUserError,
    strawberry.union(
        "VoiceSubscriberResult",
        description=answers(
            "createVoiceSubscriber, updateVoiceSubscriber and setVoicePanelCredentials"
        ),
    ),
]


@strawberry.input(description="A voice subscriber's changed registration.")
class UpdateVoiceSubscriberInput:
    subscriber_id: strawberry.ID = strawberry.field(description="The VoiceSubscriber.")
    subscriber: VoiceSubscriberFields = strawberry.field(
        description="The fields to change; null keeps a field. A new document needs its kind "
        "(the current one is assumed), a new kind its document."
    )


@strawberry.input(description="New panel credentials (Dados de Acesso) for a voice subscriber.")
class SetVoicePanelCredentialsInput:
    subscriber_id: strawberry.ID = strawberry.field(description="The VoiceSubscriber.")
    username: str = strawberry.field(
        description="3 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit "
        "(stored lower-case); no other subscriber's (its own current one is fine)."
    )
    password: str | None = strawberry.field(
        default=None,
        description="At most 128 characters, not VERY_WEAK; null: one is generated and "
        "returned once.",
    )


@strawberry.input(description="A new line for a voice subscriber.")
class AddVoiceLineInput:
    subscriber_id: strawberry.ID = strawberry.field(description="The VoiceSubscriber.")
    number: str = strawberry.field(
        description="The line's phone number: 8 to 19 digits, optionally '+' (spaces, '(', ')' "
        "and '-' are dropped); unique."
    )
    extension: str = strawberry.field(
        description="Its extension, 2 to 10 digits, not already one of the subscriber's."
    )
    simultaneous_ip_lines: int = strawberry.field(
        default=1, description="Calls it may carry at once (Linhas IP), 1 to 100."
    )


@strawberry.type(description="The line added.")
class AddVoiceLineSuccess:
    line: VoiceLineType = strawberry.field(description="The new line, ACTIVE.")


AddVoiceLineResult = Annotated[
    AddVoiceLineSuccess | AnyUserError,
    strawberry.union("AddVoiceLineResult", description=answers("addVoiceLine")),
]


@strawberry.input(description="One category's franchise.")
class VoiceFranchiseInput:
    category: FranchiseCategory = strawberry.field(
        description="The call category; at most once in the list."
    )
    minutes: int = strawberry.field(description="Minutes a month, 0 to 1000000.")
    consumes_local: bool = strawberry.field(
        default=False,
        description="Only for FIXED_LDN and MOBILE_LDN, and only when the list grants the "
        "matching local category minutes: its calls then use that franchise once their own "
        "runs out.",
    )


@strawberry.input(description="A voice subscriber's whole set of franchises.")
class SetVoiceFranchisesInput:
    subscriber_id: strawberry.ID = strawberry.field(description="The VoiceSubscriber.")
    franchises: list[VoiceFranchiseInput] = strawberry.field(
        description="They replace every franchise it had; an empty list removes them all."
    )


@strawberry.type(description="The subscriber's franchises now.")
class SetVoiceFranchisesSuccess:
    franchises: list[VoiceFranchiseType] = strawberry.field(description="Every franchise it has.")


SetVoiceFranchisesResult = Annotated[
    SetVoiceFranchisesSuccess | AnyUserError,
    strawberry.union("SetVoiceFranchisesResult", description=answers("setVoiceFranchises")),
]


@strawberry.input(description="What a voice subscriber may do in its own panel.")
class SetVoicePermissionsInput:
    subscriber_id: strawberry.ID = strawberry.field(description="The VoiceSubscriber.")
    permissions: list[VoicePermission] = strawberry.field(
        description="They replace every permission it had (repeats are ignored); an empty "
        "list grants none."
    )


@strawberry.type(description="The subscriber's permissions now.")
class SetVoicePermissionsSuccess:
    permissions: list[VoicePermission] = strawberry.field(
        description="Every permission it has, by name."
    )


SetVoicePermissionsResult = Annotated[
    SetVoicePermissionsSuccess | AnyUserError,
    strawberry.union("SetVoicePermissionsResult", description=answers("setVoicePermissions")),
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
