"""TV actions: packages and points on a plan, set-top box commands, platform data.

Every field needs the staff permission TV_PACKAGES (checked in domain.actions.tv). Changes reach
the TV platform after commit, through the outbox; `syncState` on the package or point says
whether they have (PENDING, SYNCED, FAILED with `syncError`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from domain.models import TvPoint
from domain.models import enums as domain_enums
from gateway.schema.catalog import TvPointLocationType
from gateway.schema.errors import (
    AnyUserError,
)
from gateway.schema.plans import PlanType
from gateway.schema.tv import (
    EquipmentType,
    TvPackageSubscriptionType,
    TvPointHistoryEntryType,
    TvPointType,
)

SetTopBoxCommand = strawberry.enum(
    domain_enums.SetTopBoxCommand, description="A command a set-top box can be sent."
)


# ---- results --------------------------------------------------------------------------------


@strawberry.type(description="The package added, and its plan.")
class AddTvPackageSuccess:
    tv_package: TvPackageSubscriptionType
    plan: PlanType


@strawberry.type(description="The package, now with its end date.")
class RemoveTvPackageSuccess:
    tv_package: TvPackageSubscriptionType


@strawberry.type(description="The point added, and its plan.")
class AddTvPointSuccess:
    tv_point: TvPointType
    plan: PlanType


@strawberry.type(description="The changed point.")
class TvPointSuccess:
    tv_point: TvPointType


@strawberry.type(description="The point with its new equipment, and the equipment it had.")
class SwapTvPointEquipmentSuccess:
    tv_point: TvPointType
    previous_equipment: EquipmentType


@strawberry.type(description="The point, and the history entry that records the command.")
class SendSetTopBoxCommandSuccess:
    tv_point: TvPointType
    history_entry: TvPointHistoryEntryType


@strawberry.type(
    name="TvPointPlatformData",
    description="What the TV platform said about a point's device (read-only), and when.",
)
class TvPointPlatformDataType:
    tv_point: TvPointType
    fetched_at: dt.datetime | None = strawberry.field(
        description="When the platform was last asked; null if never (refresh it)."
    )
    device_id: str | None
    status: str | None
    casn: str | None
    location: str | None
    firmware: str | None
    ip_address: str | None
    last_seen_at: str | None
    packages: list[str]
    raw: JSON | None = strawberry.field(description="The platform's whole answer.")

    @classmethod
    def from_point(cls, point: TvPoint) -> TvPointPlatformDataType:
        data: dict[str, Any] = point.platform_data or {}

        def text(name: str) -> str | None:
            value = data.get(name)
            return None if value is None else str(value)

        return cls(
            tv_point=TvPointType.from_model(point),
            fetched_at=point.platform_data_at,
            device_id=point.platform_device_id,
            status=text("status"),
            casn=text("casn"),
            location=text("location"),
            firmware=text("firmware"),
            ip_address=text("ipAddress"),
            last_seen_at=text("lastSeenAt"),
            packages=[str(code) for code in data.get("packages") or []],
            raw=point.platform_data,
        )


@strawberry.type(description="The equipment with the CASN, and whether a point already uses it.")
class EquipmentLookup:
    equipment: EquipmentType
    location: TvPointLocationType
    in_use: bool = strawberry.field(description="True if an active TV point already has it.")
    active_point: TvPointType | None


@strawberry.type(description="The point's platform data after asking the platform again.")
class RefreshTvPointPlatformDataSuccess:
    platform_data: TvPointPlatformDataType


AddTvPackageResult = Annotated[
    AddTvPackageSuccess | AnyUserError, strawberry.union("AddTvPackageResult")
]
RemoveTvPackageResult = Annotated[
    RemoveTvPackageSuccess | AnyUserError, strawberry.union("RemoveTvPackageResult")
]
AddTvPointResult = Annotated[AddTvPointSuccess | AnyUserError, strawberry.union("AddTvPointResult")]
TvPointResult = Annotated[TvPointSuccess | AnyUserError, strawberry.union("TvPointResult")]
SwapTvPointEquipmentResult = Annotated[
    SwapTvPointEquipmentSuccess | AnyUserError, strawberry.union("SwapTvPointEquipmentResult")
]
SendSetTopBoxCommandResult = Annotated[
    SendSetTopBoxCommandSuccess | AnyUserError, strawberry.union("SendSetTopBoxCommandResult")
]
RefreshTvPointPlatformDataResult = Annotated[
    RefreshTvPointPlatformDataSuccess | AnyUserError,
    strawberry.union("RefreshTvPointPlatformDataResult"),
]
EquipmentByCasnResult = Annotated[
    EquipmentLookup | AnyUserError, strawberry.union("EquipmentByCasnResult")
]
TvPointPlatformDataResult = Annotated[
    TvPointPlatformDataType | AnyUserError, strawberry.union("TvPointPlatformDataResult")
]


# ---- inputs ---------------------------------------------------------------------------------


@strawberry.input(description="An extra package for a TV plan.")
class AddTvPackageInput:
    plan_id: strawberry.ID
    package_id: strawberry.ID
    value: Decimal | None = strawberry.field(
        default=None, description="Monthly value; the package's own value when omitted."
    )
    start_date: dt.date | None = strawberry.field(default=None, description="Today if omitted.")


@strawberry.input
class RemoveTvPackageInput:
    tv_package_id: strawberry.ID = strawberry.field(description="A TvPackageSubscription id.")


@strawberry.input(description="Where the box goes (Local do Ponto) and which box (CASN).")
class AddTvPointInput:
    plan_id: strawberry.ID
    location_id: strawberry.ID
    casn: str


@strawberry.input
class ChangeTvPointLocationInput:
    tv_point_id: strawberry.ID
    location_id: strawberry.ID


@strawberry.input
class SwapTvPointEquipmentInput:
    tv_point_id: strawberry.ID
    casn: str = strawberry.field(description="CASN of the equipment that replaces the current one.")


@strawberry.input
class RemoveTvPointInput:
    tv_point_id: strawberry.ID


@strawberry.input
class SendSetTopBoxCommandInput:
    tv_point_id: strawberry.ID
    command: SetTopBoxCommand


@strawberry.input
class RefreshTvPointPlatformDataInput:
    tv_point_id: strawberry.ID


# ---- root fields ----------------------------------------------------------------------------
