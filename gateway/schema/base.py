"""Shared schema pieces: GraphQL enums, global ids, the Node interface, page info, model mapping."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
from typing import Any, ClassVar, Self, TypeAlias

import strawberry

from domain.models import enums as domain_enums
from domain.rules.keys import parse_key
from gateway.loaders.context import GraphQLContext

Info: TypeAlias = strawberry.Info[GraphQLContext, None]


def described_enum(
    cls: type[enum.Enum], description: str, values: dict[str, str], *, name: str | None = None
) -> Any:
    """A domain enum exposed under its name (or `name`), with a description for the type and
    each value (domain/ cannot carry strawberry's per-value descriptions itself)."""
    exposed = strawberry.enum(cls, name=name, description=description)
    for value in exposed.__strawberry_definition__.values:
        value.description = values[value.name]
    return exposed


# The domain's enums, exposed under the same names.
CustomerKind = described_enum(
    domain_enums.CustomerKind,
    "Whether a customer (or voice subscriber) is a person or a company.",
    {
        "PERSON": "A person (pessoa física): `document` is an 11-digit CPF.",
        "COMPANY": "A company (pessoa jurídica): `document` is a 14-digit CNPJ.",
    },
)
ExtraFieldType = described_enum(
    domain_enums.ExtraFieldType,
    "The type of an extra field's value; the value always travels as text in that type's "
    "canonical form.",
    {
        "STRING": "Free text, kept as given.",
        "INTEGER": "A whole number, e.g. `42`.",
        "DECIMAL": "A finite decimal number, e.g. `12.50`.",
        "BOOLEAN": "`true` or `false` (`1` and `0` are taken and stored as those).",
        "DATE": "A date as YYYY-MM-DD.",
    },
)
PlanStatus = described_enum(
    domain_enums.PlanStatus,
    "A plan's status (ativo / inativo / cancelado). ACTIVE and INACTIVE go both ways; "
    "CANCELLED is final.",
    {
        "ACTIVE": "The plan is in service.",
        "INACTIVE": "Out of service for a reason (`inactiveReason`); it can become ACTIVE again.",
        "CANCELLED": "Cancelled, with every service on it ended; it never changes again.",
    },
)
InactiveReason = described_enum(
    domain_enums.InactiveReason,
    "Why a plan is INACTIVE; null on plans in any other status.",
    {
        "SUSPENDED": "Suspended for debt: its speed is REDUCED; a temporary speed restoration "
        "or temporary enablement can apply.",
        "CUSTOMER_REQUEST": "Inactive at the customer's request.",
        "AWAITING_INSTALLATION": "Waiting for its installation.",
    },
)
PaymentMethod = described_enum(
    domain_enums.PaymentMethod,
    "How a plan is paid (forma de pagamento).",
    {
        "BOLETO": "A boleto (payable slip) for each receivable.",
        "CREDIT_CARD": "Credit card.",
        "BANK_DEBIT": "Bank debit (débito em conta): needs the bank, branch and account.",
        "PHONE_BILL_DEBIT": "Debit on the phone bill (débito em conta telefone): needs the "
        "phone bill account.",
    },
)
SpeedState = described_enum(
    domain_enums.SpeedState,
    "A plan's connection speed now (ADR 0102).",
    {
        "NORMAL": "The offer's full speed.",
        "REDUCED": "Reduced, as for a plan suspended for debt.",
        "TEMPORARILY_RESTORED": "Restored to full speed by a temporary speed restoration until "
        "`Plan.speedRestoredUntil`; REDUCED again after it.",
    },
)
AddressRole = described_enum(
    domain_enums.AddressRole,
    "Which of a plan's addresses is meant.",
    {
        "INSTALLATION": "Where the service is installed (endereço de instalação).",
        "BILLING": "Where bills are sent (endereço de cobrança).",
    },
)
AppointmentStatus = described_enum(
    domain_enums.AppointmentStatus,
    "The state of an installation appointment.",
    {
        "SCHEDULED": "Booked and still to happen.",
        "DONE": "Carried out.",
        "CANCELLED": "Called off (cancelling the plan cancels its scheduled appointments).",
    },
)
ServiceKind = described_enum(
    domain_enums.ServiceKind,
    "The kinds of service a plan can hold (Adicionar Serviço); each has its own type "
    "implementing `Service`.",
    {
        "EMAIL": "A mailbox (`EmailAccount`).",
        "EMAIL_ALIAS": "An extra address delivering to a mailbox (`EmailAlias`).",
        "RADIUS_LOGIN": "A RADIUS login for the connection (`RadiusLogin`).",
        "IP": "A fixed IP address from a pool (`IpAddress`).",
        "VOICE_TERMINAL": "A phone number (`VoiceTerminal`).",
        "ONU": "An optical network unit (`Onu`).",
        "DOMAIN": "A hosted, optionally registered, domain (`HostedDomain`).",
        "CIRCUIT": "A dedicated link (`Circuit`).",
        "EXTRA_SERVICE": "An extra service from the catalog (`ExtraService`).",
        "ANTIVIRUS": "An antivirus licence (`AntivirusLicense`).",
    },
)
ServiceStatus = described_enum(
    domain_enums.ServiceStatus,
    "A service's state on its plan. CANCELLED and DISABLED are ended: `endedAt` says when.",
    {
        "ACTIVE": "In use.",
        "SUSPENDED": "Suspended; still counted as live (not ended).",
        "DISABLED": "Turned off for good, e.g. a login or mailbox when its plan is cancelled.",
        "CANCELLED": "Cancelled or removed (an extra service or antivirus licence when its "
        "plan is cancelled, or any service removed on its own).",
    },
)
AntivirusStatus = described_enum(
    domain_enums.AntivirusStatus,
    "An antivirus licence's state.",
    {
        "ACTIVE": "The licence protects its seats.",
        "SUSPENDED": "Suspended: it can be activated again.",
        "DELETED": "Deleted with its service (removed, or its plan cancelled): it protects "
        "nothing and cannot be activated.",
    },
)
BillingType = described_enum(
    domain_enums.BillingType,
    "How an extra service is charged (tipo de cobrança); charges fall due one a month from "
    "the first due date.",
    {
        "ONE_TIME": "The value once (exactly one installment).",
        "INSTALLMENTS": "The value is the total, split into `installments` charges; the cents "
        "that do not divide evenly go on the first.",
        "MONTHLY": "The value every month, `installments` times.",
    },
)
StartDateRule = described_enum(
    domain_enums.StartDateRule,
    "How a catalog extra service sets the start date (data início) of the service added.",
    {
        "TODAY": "The day it is added.",
        "NEXT_DUE_DATE": "The plan's next due date on or after the day it is added.",
        "FIRST_DAY_NEXT_MONTH": "The first day of the month after the day it is added.",
    },
)
SyncState = described_enum(
    domain_enums.SyncState,
    "Whether the TV platform has received the latest change of a TV package or point "
    "(changes are delivered after commit, with retries).",
    {
        "PENDING": "Not delivered yet (or being retried: `syncError` says why it failed).",
        "SYNCED": "The platform has the latest change.",
        "FAILED": "Delivery gave up after its retries; `syncError` says why.",
    },
)
TvPointStatus = described_enum(
    domain_enums.TvPointStatus,
    "Whether a TV point is installed.",
    {
        "ACTIVE": "Installed: its equipment serves this point only.",
        "REMOVED": "Removed (`removedAt` says when); its equipment is free again.",
    },
)
TvPointEvent = described_enum(
    domain_enums.TvPointEvent,
    "What happened to a TV point (its history, aba Histórico).",
    {
        "ADDED": "The point was added.",
        "LOCATION_CHANGED": "It moved to another location (`fromLocation` → `toLocation`).",
        "EQUIPMENT_SWAPPED": "Its set-top box was swapped (`fromEquipment` → `toEquipment`).",
        "COMMAND_SENT": "A command was sent to its set-top box (`detail` names it).",
        "REMOVED": "The point was removed.",
    },
)
ReceivableOrigin = described_enum(
    domain_enums.ReceivableOrigin,
    "What a receivable charges for.",
    {
        "PLAN_CYCLE": "A plan's monthly fee (mensalidade), made by the cycle billing run.",
        "INSTALLATION_FEE": "An installment of a contract's installation fee.",
        "EXTRA_SERVICE": "An installment of an extra service.",
        "TV_EXTRA_PACKAGE": "An extra TV package, made by the billing run from its billing event.",
        "SMS_CREDIT": "SMS credits bought in the subscriber portal.",
        "DUE_DATE_ADJUSTMENT": "A due-date change's surcharge on its own. The gateway creates "
        "none: it adds the figures to the plan's next cycle receivable instead.",
    },
)
ReceivableStatus = described_enum(
    domain_enums.ReceivableStatus,
    "Whether a receivable is still owed.",
    {
        "OPEN": "Owed (em aberto); overdue once its due date has passed.",
        "PAID": "Paid (baixado): `paidAt` and `paidAmount` say when and how much.",
        "CANCELLED": "Cancelled: not owed any more.",
    },
)
BillingEventKind = described_enum(
    domain_enums.BillingEventKind,
    "What a billing event charges.",
    {"TV_EXTRA_PACKAGE": "An extra TV package on the plan, for one due date."},
)
BillingEventStatus = described_enum(
    domain_enums.BillingEventStatus,
    "Where a billing event is on its way to a receivable.",
    {
        "PENDING": "Waiting for the regular billing run (runBilling).",
        "PROCESSED": "The billing run turned it into a receivable (`receivable`).",
    },
)


@strawberry.enum(description="The direction of an ordering.")
class OrderDirection(enum.Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest (or earliest, or A) first.")
    DESC = strawberry.enum_value("DESC", description="Largest (or latest, or Z) first.")


def to_global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def from_global_id(global_id: str) -> tuple[str, int] | None:
    """(type name, primary key) of a global id, or None when it is not one of ours (or its key
    is not one a row can have: domain.rules.keys)."""
    try:
        type_name, _, raw = base64.b64decode(global_id, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    pk = parse_key(raw)
    return (type_name, pk) if type_name and pk is not None else None


# The description of every type's `databaseId`.
DATABASE_ID = (
    "The row's database key, a positive integer; id arguments other than `node(id:)` accept it "
    "as well as the global `id`."
)


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Global id: opaque, stable, unique.")


class FromModel:
    """Builds a Strawberry type from a domain model: each field takes the attribute of its name.

    `id` becomes the global id of the GraphQL type and `database_id` the row's key, so the types
    never copy attributes by hand.
    """

    graphql_name: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "graphql_name" in cls.__dict__:
            register_type(cls.graphql_name, cls)

    @classmethod
    def from_model(cls, model: Any) -> Self:
        copier = _COPIERS.get((cls, model.__class__))
        if copier is None:
            copier = _COPIERS[(cls, model.__class__)] = _copier(cls, model.__class__)
        return copier(model)  # type: ignore[no-any-return]

    @classmethod
    def from_models(cls, models: list[Any]) -> list[Self]:
        return [cls.from_model(model) for model in models]

    @classmethod
    def maybe(cls, model: Any | None) -> Self | None:
        return None if model is None else cls.from_model(model)


_FIELDS_CACHE: dict[type, tuple[str, ...]] = {}
_MODEL_TYPES: dict[str, Any] = {}


def register_type(graphql_name: str, builder: Any) -> None:
    """Makes `model_type(graphql_name).from_model(row)` build that GraphQL type."""
    _MODEL_TYPES[graphql_name] = builder


def model_type(graphql_name: str) -> Any:
    """What builds the GraphQL type `graphql_name` from a domain row."""
    return _MODEL_TYPES[graphql_name]


_COPIERS: dict[tuple[type, type], Any] = {}


def _copier(cls: type, model_class: type) -> Any:
    """A generated function copying a row of `model_class` into a new `cls`: the standard
    path builds hundreds of these per request, and a loop with getattr and the dataclass
    __init__ per object was its largest cost of our own. Loaded columns are read from the
    row's __dict__ (skipping SQLAlchemy's descriptor); anything else through getattr."""
    mapper = getattr(model_class, "__mapper__", None)
    columns = set(mapper.column_attrs.keys()) if mapper is not None else set()
    names = _init_fields(cls)
    renamed = getattr(cls, "columns", {})  # field -> model attribute, where they differ

    def values(fast: bool) -> str:
        """The dict literal of the object's fields: from the row's __dict__ or through getattr."""
        items = []
        for name in names:
            attribute = "id" if name in ("id", "database_id") else renamed.get(name, name)
            value = f"row[{attribute!r}]" if fast and attribute in columns else f"model.{attribute}"
            if name == "id":
                value = f"_gid({cls.graphql_name!r}, {value})"  # type: ignore[attr-defined]
            items.append(f"{name!r}: {value}")
        return "{" + ", ".join(items) + "}"

    source = f"""def copy(model):
    obj = _new(_cls)
    row = model.__dict__
    try:
        values = {values(True)}
    except KeyError:  # a column not loaded: SQLAlchemy's attribute loads it, or says why not
        values = {values(False)}
    obj.__dict__.update(values)
    return obj
"""
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_gid": to_global_id}
    exec(source, namespace)
    return namespace["copy"]


def _init_fields(cls: type) -> tuple[str, ...]:
    names = _FIELDS_CACHE.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls) if f.init)  # type: ignore[arg-type]
        _FIELDS_CACHE[cls] = names
    return names


@strawberry.type(description="Where a page of a connection sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(
        description="Whether more items follow this page: ask for them with `after: "
        "endCursor`. Paging backward (`last`, `before`), true whenever `before` was given."
    )
    has_previous_page: bool = strawberry.field(
        description="Whether items come before this page: ask for them with `before: "
        "startCursor`. Paging forward, true whenever `after` was given."
    )
    start_cursor: str | None = strawberry.field(
        description="The cursor of the page's first item; null when the page is empty."
    )
    end_cursor: str | None = strawberry.field(
        description="The cursor of the page's last item; null when the page is empty."
    )
