"""Root fields of TV: packages, points, equipment and the platform's data."""

from __future__ import annotations

import strawberry

from domain.actions import tv as actions
from domain.models import TvPackageSubscription, TvPoint
from domain.models import enums as domain_enums
from domain.ports.tv_platform import HttpTvPlatform
from gateway.resolvers.mutations import perform
from gateway.schema.base import Info
from gateway.schema.catalog import TvPointLocationType
from gateway.schema.errors import (
    NotFound,
)
from gateway.schema.ids import database_id
from gateway.schema.plans import PlanType
from gateway.schema.tv import (
    EquipmentType,
    TvPackageSubscriptionType,
    TvPointHistoryEntryType,
    TvPointType,
)
from gateway.schema.tv_actions import (
    AddTvPackageInput,
    AddTvPackageResult,
    AddTvPackageSuccess,
    AddTvPointInput,
    AddTvPointResult,
    AddTvPointSuccess,
    ChangeTvPointLocationInput,
    EquipmentByCasnResult,
    EquipmentLookup,
    RefreshTvPointPlatformDataInput,
    RefreshTvPointPlatformDataResult,
    RefreshTvPointPlatformDataSuccess,
    RemoveTvPackageInput,
    RemoveTvPackageResult,
    RemoveTvPackageSuccess,
    RemoveTvPointInput,
    SendSetTopBoxCommandInput,
    SendSetTopBoxCommandResult,
    SendSetTopBoxCommandSuccess,
    SwapTvPointEquipmentInput,
    SwapTvPointEquipmentResult,
    SwapTvPointEquipmentSuccess,
    TvPointPlatformDataResult,
    TvPointPlatformDataType,
    TvPointResult,
    TvPointSuccess,
)


def _key(raw: strawberry.ID, type_name: str) -> int | NotFound:
    """The database key of a global (or plain) id, or the NotFound a client gets for it."""
    key = database_id(str(raw), type_name)
    if key is None:
        return NotFound(message=f"{type_name} {raw} was not found.", entity=type_name, id=str(raw))
    return key


async def _plan(info: Info, plan_id: int) -> PlanType:
    return PlanType.from_model(await info.context.loaders.plan.load(plan_id))


@strawberry.type
class TvQuery:
    @strawberry.field(
        description="The equipment with a CASN (description, asset tag, serial, internal code, "
        "smartcard; read-only), for adding a point at a location."
    )
    async def equipment_by_casn(
        self, info: Info, location_id: strawberry.ID, casn: str
    ) -> EquipmentByCasnResult:
        location = _key(location_id, "TvPointLocation")
        if isinstance(location, NotFound):
            return location
        result = await perform(
            info,
            lambda session: actions.find_equipment(
                session, location_id=location, casn=casn, actor=info.context.identity
            ),
        )
        if isinstance(result, actions.EquipmentLookup):
            return EquipmentLookup(
                equipment=EquipmentType.from_model(result.equipment),
                location=TvPointLocationType.from_model(result.location),
                in_use=result.active_point is not None,
                active_point=TvPointType.maybe(result.active_point),
            )
        return result  # type: ignore[return-value]

    @strawberry.field(
        description="What the TV platform last said about a point's device (Dados na "
        "Plataforma); refreshTvPointPlatformData asks it again."
    )
    async def tv_point_platform_data(
        self, info: Info, tv_point_id: strawberry.ID
    ) -> TvPointPlatformDataResult:
        point_id = _key(tv_point_id, "TvPoint")
        if isinstance(point_id, NotFound):
            return point_id
        result = await perform(
            info,
            lambda session: actions.tv_point_for_platform_data(
                session, point_id=point_id, actor=info.context.identity
            ),
        )
        if isinstance(result, TvPoint):
            return TvPointPlatformDataType.from_point(result)
        return result  # type: ignore[return-value]


@strawberry.type
class TvMutations:
    @strawberry.mutation(description="Adds an extra TV package to a plan of a TV offer.")
    async def add_tv_package(self, info: Info, input: AddTvPackageInput) -> AddTvPackageResult:
        plan_id = _key(input.plan_id, "Plan")
        package_id = _key(input.package_id, "TvPackage")
        for key in (plan_id, package_id):
            if isinstance(key, NotFound):
                return key
        result = await perform(
            info,
            lambda session: actions.add_tv_package(
                session,
                plan_id=plan_id,  # type: ignore[arg-type]
                package_id=package_id,  # type: ignore[arg-type]
                value=input.value,
                start_date=input.start_date,
                actor=info.context.identity,
            ),
        )
        if isinstance(result, TvPackageSubscription):
            return AddTvPackageSuccess(
                tv_package=TvPackageSubscriptionType.from_model(result),
                plan=await _plan(info, result.plan_id),
            )
        return result  # type: ignore[return-value]

    @strawberry.mutation(description="Removes an extra TV package from its plan (ends today).")
    async def remove_tv_package(
        self, info: Info, input: RemoveTvPackageInput
    ) -> RemoveTvPackageResult:
        subscription_id = _key(input.tv_package_id, "TvPackageSubscription")
        if isinstance(subscription_id, NotFound):
            return subscription_id
        result = await perform(
            info,
            lambda session: actions.remove_tv_package(
                session, subscription_id=subscription_id, actor=info.context.identity
            ),
        )
        if isinstance(result, TvPackageSubscription):
            return RemoveTvPackageSuccess(tv_package=TvPackageSubscriptionType.from_model(result))
        return result  # type: ignore[return-value]

    @strawberry.mutation(description="Installs a set-top box (by CASN) at a location.")
    async def add_tv_point(self, info: Info, input: AddTvPointInput) -> AddTvPointResult:
        plan_id = _key(input.plan_id, "Plan")
        location_id = _key(input.location_id, "TvPointLocation")
        for key in (plan_id, location_id):
            if isinstance(key, NotFound):
                return key
        result = await perform(
            info,
            lambda session: actions.add_tv_point(
                session,
                plan_id=plan_id,  # type: ignore[arg-type]
                location_id=location_id,  # type: ignore[arg-type]
                casn=input.casn,
                actor=info.context.identity,
            ),
        )
        if isinstance(result, TvPoint):
            return AddTvPointSuccess(
                tv_point=TvPointType.from_model(result), plan=await _plan(info, result.plan_id)
            )
        return result  # type: ignore[return-value]

    @strawberry.mutation(description="Moves a point to another location; kept in its history.")
    async def change_tv_point_location(
        self, info: Info, input: ChangeTvPointLocationInput
    ) -> TvPointResult:
        point_id = _key(input.tv_point_id, "TvPoint")
        location_id = _key(input.location_id, "TvPointLocation")
        for key in (point_id, location_id):
            if isinstance(key, NotFound):
                return key
        result = await perform(
            info,
            lambda session: actions.change_tv_point_location(
                session,
                point_id=point_id,  # type: ignore[arg-type]
                location_id=location_id,  # type: ignore[arg-type]
                actor=info.context.identity,
            ),
        )
        if isinstance(result, TvPoint):
            return TvPointSuccess(tv_point=TvPointType.from_model(result))
        return result  # type: ignore[return-value]

    @strawberry.mutation(description="Replaces a point's set-top box with another (by CASN).")
    async def swap_tv_point_equipment(
        self, info: Info, input: SwapTvPointEquipmentInput
    ) -> SwapTvPointEquipmentResult:
        point_id = _key(input.tv_point_id, "TvPoint")
        if isinstance(point_id, NotFound):
            return point_id
        result = await perform(
            info,
            lambda session: actions.swap_tv_point_equipment(
                session, point_id=point_id, casn=input.casn, actor=info.context.identity
            ),
        )
        if isinstance(result, tuple):
            point, previous = result
            return SwapTvPointEquipmentSuccess(
                tv_point=TvPointType.from_model(point),
                previous_equipment=EquipmentType.from_model(previous),
            )
        return result  # type: ignore[return-value]

    @strawberry.mutation(description="Removes a point; its equipment is free again.")
    async def remove_tv_point(self, info: Info, input: RemoveTvPointInput) -> TvPointResult:
        point_id = _key(input.tv_point_id, "TvPoint")
        if isinstance(point_id, NotFound):
            return point_id
        result = await perform(
            info,
            lambda session: actions.remove_tv_point(
                session, point_id=point_id, actor=info.context.identity
            ),
        )
        if isinstance(result, TvPoint):
            return TvPointSuccess(tv_point=TvPointType.from_model(result))
        return result  # type: ignore[return-value]

    @strawberry.mutation(description="Sends REFRESH or RESET_PARENTAL_KEY to a point's box.")
    async def send_set_top_box_command(
        self, info: Info, input: SendSetTopBoxCommandInput
    ) -> SendSetTopBoxCommandResult:
        point_id = _key(input.tv_point_id, "TvPoint")
        if isinstance(point_id, NotFound):
            return point_id
        result = await perform(
            info,
            lambda session: actions.send_set_top_box_command(
                session,
                point_id=point_id,
                command=domain_enums.SetTopBoxCommand(input.command.value),
                actor=info.context.identity,
            ),
        )
        if isinstance(result, tuple):
            point, entry = result
            return SendSetTopBoxCommandSuccess(
                tv_point=TvPointType.from_model(point),
                history_entry=TvPointHistoryEntryType.from_model(entry),
            )
        return result  # type: ignore[return-value]

    @strawberry.mutation(
        description="Asks the TV platform about a point's device now and keeps the answer."
    )
    async def refresh_tv_point_platform_data(
        self, info: Info, input: RefreshTvPointPlatformDataInput
    ) -> RefreshTvPointPlatformDataResult:
        point_id = _key(input.tv_point_id, "TvPoint")
        if isinstance(point_id, NotFound):
            return point_id
        settings = info.context.settings
        async with HttpTvPlatform(
            settings.tv_platform_url,
            api_key=settings.tv_platform_api_key,
            timeout=settings.tv_platform_timeout,
        ) as platform:
            result = await perform(
                info,
                lambda session: actions.refresh_tv_point_platform_data(
                    session, point_id=point_id, platform=platform, actor=info.context.identity
                ),
            )
        if isinstance(result, TvPoint):
            return RefreshTvPointPlatformDataSuccess(
                platform_data=TvPointPlatformDataType.from_point(result)
            )
        return result  # type: ignore[return-value]
