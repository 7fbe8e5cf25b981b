"""TV types: package subscriptions, points, equipment and point history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from domain import models as m
from gateway.loaders import container as loaders
from gateway.schema.base import FromModel, Info, Node, SyncState, TvPointEvent, TvPointStatus
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


@strawberry.type(name="TvPackageSubscription", description="A TV package on a plan.")
class TvPackageSubscriptionType(FromModel, Node):
    graphql_name = "TvPackageSubscription"
    model = m.TvPackageSubscription
    database_id: int
    value: Decimal
    start_date: dt.date
    end_date: dt.date | None
    is_default: bool
    sync_state: SyncState
    sync_error: str | None
    package_id: strawberry.Private[int]

    @strawberry.field
    async def package(self, info: Info) -> TvPackageType:
        return await SUBSCRIPTION_PACKAGE.resolve(self, info)


@strawberry.type(name="Equipment", description="A set-top box, known by its CASN (read-only).")
class EquipmentType(FromModel, Node):
    graphql_name = "Equipment"
    model = m.Equipment
    database_id: int
    casn: str
    description: str
    asset_tag: str
    serial: str
    internal_code: str
    smartcard: str | None


@strawberry.type(name="TvPointHistoryEntry", description="One event in a TV point's life.")
class TvPointHistoryEntryType(FromModel):
    graphql_name = "TvPointHistoryEntry"
    model = m.TvPointHistory
    event: TvPointEvent
    detail: str | None
    actor: str
    at: dt.datetime
    from_location_id: strawberry.Private[int | None]
    to_location_id: strawberry.Private[int | None]
    from_equipment_id: strawberry.Private[int | None]
    to_equipment_id: strawberry.Private[int | None]

    @strawberry.field
    async def from_location(self, info: Info) -> TvPointLocationType | None:
        return await HISTORY_FROM_LOCATION.resolve(self, info)

    @strawberry.field
    async def to_location(self, info: Info) -> TvPointLocationType | None:
        return await HISTORY_TO_LOCATION.resolve(self, info)

    @strawberry.field
    async def from_equipment(self, info: Info) -> EquipmentType | None:
        return await HISTORY_FROM_EQUIPMENT.resolve(self, info)

    @strawberry.field
    async def to_equipment(self, info: Info) -> EquipmentType | None:
        return await HISTORY_TO_EQUIPMENT.resolve(self, info)


@strawberry.type(name="TvPoint", description="A set-top box installed at a location.")
class TvPointType(FromModel, Node):
    graphql_name = "TvPoint"
    model = m.TvPoint
    database_id: int
    status: TvPointStatus
    platform_device_id: str | None
    sync_state: SyncState
    sync_error: str | None
    created_at: dt.datetime
    removed_at: dt.datetime | None
    location_id: strawberry.Private[int]
    equipment_id: strawberry.Private[int]

    @strawberry.field
    async def location(self, info: Info) -> TvPointLocationType:
        return TvPointLocationType.from_model(
            await info.context.loaders.tv_point_location.load(self.location_id)
        )

    @strawberry.field
    async def equipment(self, info: Info) -> EquipmentType:
        return EquipmentType.from_model(
            await info.context.loaders.equipment.load(self.equipment_id)
        )

    @strawberry.field(description="Additions, moves, swaps, commands and removal, oldest first.")
    async def history(self, info: Info) -> list[TvPointHistoryEntryType]:
        rows = await info.context.loaders.tv_point_history.load(self.database_id)
        return TvPointHistoryEntryType.from_models(rows)
