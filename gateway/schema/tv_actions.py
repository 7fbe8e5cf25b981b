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
from gateway.schema.base import described_enum
from gateway.schema.catalog import TvPointLocationType
from gateway.schema.errors import AnyUserError, answers
from gateway.schema.plans import PlanType
from gateway.schema.tv import (
    EquipmentType,
    TvPackageSubscriptionType,
    TvPointHistoryEntryType,
    TvPointType,
)

SetTopBoxCommand = described_enum(
    domain_enums.SetTopBoxCommand,
    "A command a set-top box can be sent (Enviar Comando para Set-Top Box).",
    {
        "REFRESH": "Refresh, passed to the box by the TV platform.",
        "RESET_PARENTAL_KEY": "Reset Parental Key: resets the box's parental-control key, "
        "passed to the box by the TV platform.",
    },
)


# ---- results --------------------------------------------------------------------------------


@strawberry.type(description="The package added, and its plan.")
class AddTvPackageSuccess:
    tv_package: TvPackageSubscriptionType = strawberry.field(
        description="The package on the plan, PENDING until the platform has it."
    )
    plan: PlanType = strawberry.field(description="The plan.")


@strawberry.type(description="The package, now with its end date.")
class RemoveTvPackageSuccess:
    tv_package: TvPackageSubscriptionType = strawberry.field(
        description="The package, with its end date (today, or its start date if it had not "
        "started)."
    )


@strawberry.type(description="The point added, and its plan.")
class AddTvPointSuccess:
    tv_point: TvPointType = strawberry.field(
        description="The new point, ACTIVE, PENDING until the platform has it."
    )
    plan: PlanType = strawberry.field(description="The plan.")


@strawberry.type(description="The changed point.")
class TvPointSuccess:
    tv_point: TvPointType = strawberry.field(description="The point after the change.")


@strawberry.type(description="The point with its new equipment, and the equipment it had.")
class SwapTvPointEquipmentSuccess:
    tv_point: TvPointType = strawberry.field(description="The point, with its new equipment.")
    previous_equipment: EquipmentType = strawberry.field(
        description="The equipment it had, free for another point now."
    )


@strawberry.type(description="The point, and the history entry that records the command.")
class SendSetTopBoxCommandSuccess:
    tv_point: TvPointType = strawberry.field(description="The point whose box gets the command.")
    history_entry: TvPointHistoryEntryType = strawberry.field(
        description="The COMMAND_SENT entry of its history."
    )


@strawberry.type(
    name="TvPointPlatformData",
    description="What the TV platform said about a point's device (read-only), and when.",
)
class TvPointPlatformDataType:
    tv_point: TvPointType = strawberry.field(description="The point.")
    fetched_at: dt.datetime | None = strawberry.field(
        description="When the platform was last asked; null if never (refresh it)."
    )
    device_id: str | None = strawberry.field(
        description="The device's id on the platform; null until the platform has the point."
    )
    status: str | None = strawberry.field(
        description="The device's status as the platform says it (e.g. ONLINE); null when the "
        "platform said nothing."
    )
    casn: str | None = strawberry.field(
        description="The CASN the platform holds for it; null when it said nothing."
    )
    location: str | None = strawberry.field(
        description="The location name the platform holds; null when it said nothing."
    )
    firmware: str | None = strawberry.field(
        description="The box's firmware version; null when the platform said nothing."
    )
    ip_address: str | None = strawberry.field(
        description="The box's IP address on the platform's network; null when not known."
    )
    last_seen_at: str | None = strawberry.field(
        description="When the platform last saw the box, as the platform wrote it (ISO 8601 "
        "text); null when not known."
    )
    packages: list[str] = strawberry.field(
        description="The platform codes of the packages it serves the box; empty when none "
        "or not known."
    )
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
    equipment: EquipmentType = strawberry.field(
        description="The equipment: description, asset tag, serial, internal code, smartcard."
    )
    location: TvPointLocationType = strawberry.field(description="The location asked for.")
    in_use: bool = strawberry.field(description="True if an active TV point already has it.")
    active_point: TvPointType | None = strawberry.field(
        description="The active point that has it; null when it is free."
    )


@strawberry.type(description="The point's platform data after asking the platform again.")
class RefreshTvPointPlatformDataSuccess:
    platform_data: TvPointPlatformDataType = strawberry.field(
        description="What the platform answered just now."
    )


AddTvPackageResult = Annotated[
    AddTvPackageSuccess | AnyUserError,
    strawberry.union("AddTvPackageResult", description=answers("addTvPackage")),
]
RemoveTvPackageResult = Annotated[
    RemoveTvPackageSuccess | AnyUserError,
    strawberry.union("RemoveTvPackageResult", description=answers("removeTvPackage")),
]
AddTvPointResult = Annotated[
    AddTvPointSuccess | AnyUserError,
    strawberry.union("AddTvPointResult", description=answers("addTvPoint")),
]
TvPointResult = Annotated[
    TvPointSuccess | AnyUserError,
    strawberry.union(
        "TvPointResult", description=answers("changeTvPointLocation and removeTvPoint")
    ),
]
SwapTvPointEquipmentResult = Annotated[
    SwapTvPointEquipmentSuccess | AnyUserError,
    strawberry.union("SwapTvPointEquipmentResult", description=answers("swapTvPointEquipment")),
]
SendSetTopBoxCommandResult = Annotated[
    SendSetTopBoxCommandSuccess | AnyUserError,
    strawberry.union("SendSetTopBoxCommandResult", description=answers("sendSetTopBoxCommand")),
]
RefreshTvPointPlatformDataResult = Annotated[
    RefreshTvPointPlatformDataSuccess | AnyUserError,
    strawberry.union(
        "RefreshTvPointPlatformDataResult", description=answers("refreshTvPointPlatformData")
    ),
]
EquipmentByCasnResult = Annotated[
    EquipmentLookup | AnyUserError,
    strawberry.union("EquipmentByCasnResult", description=answers("equipmentByCasn")),
]
TvPointPlatformDataResult = Annotated[
    TvPointPlatformDataType | AnyUserError,
    strawberry.union("TvPointPlatformDataResult", description=answers("tvPointPlatformData")),
]


# ---- inputs ---------------------------------------------------------------------------------


@strawberry.input(description="An extra package for a TV plan.")
class AddTvPackageInput:
    plan_id: strawberry.ID = strawberry.field(
        description="A plan of a TV offer, not cancelled, without this package running."
    )
    package_id: strawberry.ID = strawberry.field(
        description="An extra package (isExtra) of the catalog."
    )
    value: Decimal | None = strawberry.field(
        default=None,
        description="Its value in R$ per due date (Valor), 0 or more with at most two decimals; "
        "the package's own value when omitted.",
    )
    start_date: dt.date | None = strawberry.field(
        default=None,
        description="From when it runs (Data Início), not before the plan's start; today if "
        "omitted.",
    )


@strawberry.input(description="The extra package to remove from its plan.")
class RemoveTvPackageInput:
    tv_package_id: strawberry.ID = strawberry.field(
        description="A TvPackageSubscription id: an extra package still running (the offer's "
        "default one cannot be removed)."
    )


@strawberry.input(description="Where the box goes (Local do Ponto) and which box (CASN).")
class AddTvPointInput:
    plan_id: strawberry.ID = strawberry.field(description="A plan of a TV offer, not cancelled.")
    location_id: strawberry.ID = strawberry.field(description="A TvPointLocation (Local do Ponto).")
    casn: str = strawberry.field(
        description="The equipment's CASN: 1 to 32 letters, digits or '-', case aside; no "
        "active point may have it."
    )


@strawberry.input(description="The point and its new location (Alterar Local do Ponto de TV).")
class ChangeTvPointLocationInput:
    tv_point_id: strawberry.ID = strawberry.field(description="An ACTIVE TvPoint.")
    location_id: strawberry.ID = strawberry.field(
        description="A TvPointLocation other than the point's current one."
    )


@strawberry.input(description="The point and the equipment that replaces its box (Trocar Ponto).")
class SwapTvPointEquipmentInput:
    tv_point_id: strawberry.ID = strawberry.field(description="An ACTIVE TvPoint.")
    casn: str = strawberry.field(
        description="CASN of the equipment that replaces the current one; no active point may "
        "have it."
    )


@strawberry.input(description="The point to remove (Remover Ponto de TV).")
class RemoveTvPointInput:
    tv_point_id: strawberry.ID = strawberry.field(description="An ACTIVE TvPoint.")


@strawberry.input(description="The point and the command for its box.")
class SendSetTopBoxCommandInput:
    tv_point_id: strawberry.ID = strawberry.field(description="An ACTIVE TvPoint.")
    command: SetTopBoxCommand = strawberry.field(description="The command (Comando).")


@strawberry.input(description="The point whose platform data to fetch again (Atualizar).")
class RefreshTvPointPlatformDataInput:
    tv_point_id: strawberry.ID = strawberry.field(
        description="A TvPoint the platform already has (it has a platformDeviceId)."
    )


# ---- root fields ----------------------------------------------------------------------------
