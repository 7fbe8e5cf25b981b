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


def described_enum(cls: type[enum.Enum], description: str, values: dict[str, str]) -> Any:
    """A domain enum exposed under its name, with a description for the type and each value
    (domain/ cannot carry strawberry's per-value descriptions itself)."""
    exposed = strawberry.enum(cls, description=description)
    for value in exposed.__strawberry_definition__.values:
        value.description = values[value.name]
    return exposed


# The domain's enums, exposed under the same names.
CustomerKind = strawberry.enum(domain_enums.CustomerKind)
ExtraFieldType = strawberry.enum(domain_enums.ExtraFieldType)
PlanStatus = strawberry.enum(domain_enums.PlanStatus)
InactiveReason = strawberry.enum(domain_enums.InactiveReason)
PaymentMethod = strawberry.enum(domain_enums.PaymentMethod)
SpeedState = strawberry.enum(domain_enums.SpeedState)
AddressRole = strawberry.enum(domain_enums.AddressRole)
AppointmentStatus = strawberry.enum(domain_enums.AppointmentStatus)
ServiceKind = strawberry.enum(domain_enums.ServiceKind)
ServiceStatus = strawberry.enum(domain_enums.ServiceStatus)
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
BillingType = strawberry.enum(domain_enums.BillingType)
StartDateRule = strawberry.enum(domain_enums.StartDateRule)
SyncState = strawberry.enum(domain_enums.SyncState)
TvPointStatus = strawberry.enum(domain_enums.TvPointStatus)
TvPointEvent = strawberry.enum(domain_enums.TvPointEvent)
ReceivableOrigin = strawberry.enum(domain_enums.ReceivableOrigin)
ReceivableStatus = strawberry.enum(domain_enums.ReceivableStatus)
BillingEventKind = strawberry.enum(domain_enums.BillingEventKind)
BillingEventStatus = strawberry.enum(domain_enums.BillingEventStatus)


@strawberry.enum
class OrderDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


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
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None
