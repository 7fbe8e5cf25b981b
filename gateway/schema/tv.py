"""TV types: package subscriptions, points, equipment and point history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from gateway.schema.base import FromModel, Info, Node, SyncState, TvPointEvent, TvPointStatus
from gateway.schema.catalog import TvPackageType, TvPointLocationType


@strawberry.type(name="TvPackageSubscription", description="A TV package on a plan.")
class TvPackageSubscriptionType(FromModel, Node):
    graphql_name = "TvPackageSubscription"
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
        return TvPackageType.from_model(await info.context.loaders.tv_package.load(self.package_id))


@strawberry.type(name="Equipment", description="A set-top box, known by its CASN (read-only).")
class EquipmentType(FromModel, Node):
    graphql_name = "Equipment"
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
        return await _location(info, self.from_location_id)

    @strawberry.field
    async def to_location(self, info: Info) -> TvPointLocationType | None:
        return await _location(info, self.to_location_id)

    @strawberry.field
    async def from_equipment(self, info: Info) -> EquipmentType | None:
        return await _equipment(info, self.from_equipment_id)

    @strawberry.field
    async def to_equipment(self, info: Info) -> EquipmentType | None:
        return await _equipment(info, self.to_equipment_id)


async def _location(info: Info, location_id: int | None) -> TvPointLocationType | None:
    if location_id is None:
        return None
    return TvPointLocationType.maybe(await info.context.loaders.tv_point_location.load(location_id))


async def _equipment(info: Info, equipment_id: int | None) -> EquipmentType | None:
    if equipment_id is None:
        return None
    return EquipmentType.maybe(await info.context.loaders.equipment.load(equipment_id))


@strawberry.type(name="TvPoint", description="A set-top box installed at a location.")
class TvPointType(FromModel, Node):
    graphql_name = "TvPoint"
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
