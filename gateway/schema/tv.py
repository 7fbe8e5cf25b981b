"""TV types: package subscriptions, points, equipment and point history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from domain import models as m
from gateway.loaders import container as loaders
from gateway.schema.base import (
    DATABASE_ID,
    FromModel,
    Info,
    Node,
    SyncState,
    TvPointEvent,
    TvPointStatus,
)
from gateway.schema.catalog import TvPackageType, TvPointLocationType
from gateway.schema.relations import Relation

L = loaders
SUBSCRIPTION_PACKAGE = Relation(
    "TvPackageSubscription", "package", L.TvPackageByIdLoader, "package_id", "TvPackage", False
)
HISTORY_FROM_LOCATION = Relation(
    "TvPointHistoryEntry", "fromLocation", L.TvPointLocationByIdLoader, "from_location_id",
    "TvPointLocation", many=False,
)  # fmt: skip
HISTORY_TO_LOCATION = Relation(
    "TvPointHistoryEntry", "toLocation", L.TvPointLocationByIdLoader, "to_location_id",
    "TvPointLocation", many=False,
)  # fmt: skip
HISTORY_FROM_EQUIPMENT = Relation(
    "TvPointHistoryEntry", "fromEquipment", L.EquipmentByIdLoader, "from_equipment_id",
    "Equipment", many=False,
)  # fmt: skip
HISTORY_TO_EQUIPMENT = Relation(
    "TvPointHistoryEntry", "toEquipment", L.EquipmentByIdLoader, "to_equipment_id", "Equipment",
    many=False,
)  # fmt: skip
POINT_LOCATION = Relation(
    "TvPoint", "location", L.TvPointLocationByIdLoader, "location_id", "TvPointLocation", False
)
POINT_EQUIPMENT = Relation(
    "TvPoint", "equipment", L.EquipmentByIdLoader, "equipment_id", "Equipment", many=False
)
POINT_HISTORY = Relation(
    "TvPoint", "history", L.TvPointHistoryByPointIdLoader, "id", "TvPointHistoryEntry", True
)


@strawberry.type(
    name="TvPackageSubscription",
    description="A TV package on a plan (Pacotes de TV): the offer's default one, or an extra "
    "one with its own value. Staff need the TV_PACKAGES permission to read it.",
)
class TvPackageSubscriptionType(FromModel, Node):
    graphql_name = "TvPackageSubscription"
    model = m.TvPackageSubscription
    database_id: int = strawberry.field(description=DATABASE_ID)
    value: Decimal = strawberry.field(
        description="Its value on this plan in R$, charged per due date for an extra package "
        "(0 charges nothing)."
    )
    start_date: dt.date = strawberry.field(description="From when it runs (Data Início).")
    end_date: dt.date | None = strawberry.field(
        description="The day it was removed (it runs no more from then); null while it runs."
    )
    is_default: bool = strawberry.field(
        description="Whether it is the offer's default package, part of the plan (never "
        "billed apart, not removable)."
    )
    sync_state: SyncState = strawberry.field(
        description="Whether the TV platform has its latest change."
    )
    sync_error: str | None = strawberry.field(
        description="Why the last delivery to the platform failed (with the next try, or that "
        "it gave up); null when none failed."
    )
    package_id: strawberry.Private[int]

    @strawberry.field(description="The catalog package.")
    async def package(self, info: Info) -> TvPackageType:
        return await SUBSCRIPTION_PACKAGE.resolve(self, info)


@strawberry.type(
    name="Equipment",
    description="A set-top box, known by its CASN; its details are read-only (the Buscar "
    "result of Adicionar Ponto de TV). Staff need the TV_PACKAGES permission to read it.",
)
class EquipmentType(FromModel, Node):
    graphql_name = "Equipment"
    model = m.Equipment
    database_id: int = strawberry.field(description=DATABASE_ID)
    casn: str = strawberry.field(
        description="Its CA serial number (CASN), upper-case without spaces; unique."
    )
    description: str = strawberry.field(description="What it is (Descrição).")
    asset_tag: str = strawberry.field(description="The ISP's asset tag (Patrimônio); unique.")
    serial: str = strawberry.field(description="The maker's serial number (Série); unique.")
    internal_code: str = strawberry.field(description="The ISP's internal code (Código Interno).")
    smartcard: str | None = strawberry.field(
        description="Its smartcard number; null when it has none."
    )


@strawberry.type(
    name="TvPointHistoryEntry",
    description="One event in a TV point's life (Editar Ponto de TV, aba Histórico).",
)
class TvPointHistoryEntryType(FromModel):
    graphql_name = "TvPointHistoryEntry"
    model = m.TvPointHistory
    event: TvPointEvent = strawberry.field(description="What happened.")
    detail: str | None = strawberry.field(
        description="More about it: the command sent, or why the point went (e.g. the plan's "
        "cancellation); null when nothing more."
    )
    actor: str = strawberry.field(description="Who did it: the caller's subject.")
    at: dt.datetime = strawberry.field(description="When it happened.")
    from_location_id: strawberry.Private[int | None]
    to_location_id: strawberry.Private[int | None]
    from_equipment_id: strawberry.Private[int | None]
    to_equipment_id: strawberry.Private[int | None]

    @strawberry.field(
        description="The location before a move, or the one a removed point had; null for "
        "other events."
    )
    async def from_location(self, info: Info) -> TvPointLocationType | None:
        return await HISTORY_FROM_LOCATION.resolve(self, info)

    @strawberry.field(
        description="The location after a move, or where the point was added; null for other "
        "events."
    )
    async def to_location(self, info: Info) -> TvPointLocationType | None:
        return await HISTORY_TO_LOCATION.resolve(self, info)

    @strawberry.field(
        description="The equipment before a swap, or the one a removed point had; null for "
        "other events."
    )
    async def from_equipment(self, info: Info) -> EquipmentType | None:
        return await HISTORY_FROM_EQUIPMENT.resolve(self, info)

    @strawberry.field(
        description="The equipment after a swap, or the one the point was added with; null "
        "for other events."
    )
    async def to_equipment(self, info: Info) -> EquipmentType | None:
        return await HISTORY_TO_EQUIPMENT.resolve(self, info)


@strawberry.type(
    name="TvPoint",
    description="A TV point (Ponto de TV): a set-top box installed at a location of the "
    "customer's premises. Staff need the TV_PACKAGES permission to read it.",
)
class TvPointType(FromModel, Node):
    graphql_name = "TvPoint"
    model = m.TvPoint
    database_id: int = strawberry.field(description=DATABASE_ID)
    status: TvPointStatus = strawberry.field(description="Installed or removed.")
    platform_device_id: str | None = strawberry.field(
        description="The device's id on the TV platform; null until the platform has it."
    )
    sync_state: SyncState = strawberry.field(
        description="Whether the TV platform has its latest change."
    )
    sync_error: str | None = strawberry.field(
        description="Why the last delivery to the platform failed (with the next try, or that "
        "it gave up); null when none failed."
    )
    created_at: dt.datetime = strawberry.field(description="When the point was added.")
    removed_at: dt.datetime | None = strawberry.field(
        description="When it was removed; null while ACTIVE."
    )
    location_id: strawberry.Private[int]
    equipment_id: strawberry.Private[int]

    @strawberry.field(description="Where it is now (Local do Ponto).")
    async def location(self, info: Info) -> TvPointLocationType:
        return TvPointLocationType.from_model(
            await info.context.loaders.tv_point_location.load(self.location_id)
        )

    @strawberry.field(description="The set-top box it has now.")
    async def equipment(self, info: Info) -> EquipmentType:
        return EquipmentType.from_model(
            await info.context.loaders.equipment.load(self.equipment_id)
        )

    @strawberry.field(description="Additions, moves, swaps, commands and removal, oldest first.")
    async def history(self, info: Info) -> list[TvPointHistoryEntryType]:
        rows = await info.context.loaders.tv_point_history.load(self.database_id)
        return TvPointHistoryEntryType.from_models(rows)
