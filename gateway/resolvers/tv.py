"""Root fields of TV: packages, points, equipment and the platform's data."""

from __future__ import annotations

from typing import Annotated

import strawberry

from domain.actions import tv as actions
from domain.i18n import _
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
        return NotFound(
            message=_("{type_name} {raw} was not found.", type_name=type_name, raw=raw),
            entity=type_name,
            id=str(raw),
        )
    return key


async def _plan(info: Info, plan_id: int) -> PlanType:
    return PlanType.from_model(await info.context.loaders.plan.load(plan_id))


@strawberry.type
class TvQuery:
    @strawberry.field(
        description="The equipment with a CASN (description, asset tag, serial, internal code, "
        "smartcard; read-only), for adding a point at a location: Adicionar Ponto de TV's "
        "Buscar. NotFound for an unknown CASN. Needs the TV_PACKAGES permission."
    )
    async def equipment_by_casn(
        self,
        info: Info,
        location_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The TvPointLocation chosen (Local do Ponto)."),
        ],
        casn: Annotated[
            str,
            strawberry.argument(
                description="The equipment's CASN: 1 to 32 letters, digits or '-', case aside."
            ),
        ],
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
        description="What the TV platform last said about a point's device (Dados do "
        "Equipamento na Plataforma de TV), read-only; refreshTvPointPlatformData asks it "
        "again. Needs the TV_PACKAGES permission."
    )
    async def tv_point_platform_data(
        self,
        info: Info,
        tv_point_id: Annotated[
            strawberry.ID, strawberry.argument(description="The TvPoint (global or database id).")
        ],
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
    @strawberry.mutation(
        description="Adds an extra TV package to a plan of a TV offer (Adicionar Pacotes de "
        "TV); the platform gets it after commit. Needs the TV_PACKAGES permission."
    )
    async def add_tv_package(
        self,
        info: Info,
        input: Annotated[
            AddTvPackageInput,
            strawberry.argument(description="The plan, the extra package, its value and start."),
        ],
    ) -> AddTvPackageResult:
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

    @strawberry.mutation(
        description="Removes an extra TV package from its plan (Remover Pacote de TV): it ends "
        "today, or on its start date if it had not started, and is never billed after. Needs "
        "the TV_PACKAGES permission."
    )
    async def remove_tv_package(
        self,
        info: Info,
        input: Annotated[
            RemoveTvPackageInput, strawberry.argument(description="The package on the plan.")
        ],
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

    @strawberry.mutation(
        description="Installs a set-top box (by CASN) at a location (Adicionar Ponto de TV); "
        "the platform gets it after commit. Needs the TV_PACKAGES permission."
    )
    async def add_tv_point(
        self,
        info: Info,
        input: Annotated[
            AddTvPointInput,
            strawberry.argument(description="The plan, the location and the equipment's CASN."),
        ],
    ) -> AddTvPointResult:
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

    @strawberry.mutation(
        description="Moves a point to another location (Alterar Local do Ponto de TV); the "
        "move stays in its history. Needs the TV_PACKAGES permission."
    )
    async def change_tv_point_location(
        self,
        info: Info,
        input: Annotated[
            ChangeTvPointLocationInput,
            strawberry.argument(description="The point and its new location."),
        ],
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

    @strawberry.mutation(
        description="Replaces a point's set-top box with another (by CASN); the old one is free "
        "again. Needs the TV_PACKAGES permission."
    )
    async def swap_tv_point_equipment(
        self,
        info: Info,
        input: Annotated[
            SwapTvPointEquipmentInput,
            strawberry.argument(description="The point and the new equipment's CASN."),
        ],
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

    @strawberry.mutation(
        description="Removes a point (Remover Ponto de TV); its equipment is free again. Needs "
        "the TV_PACKAGES permission."
    )
    async def remove_tv_point(
        self,
        info: Info,
        input: Annotated[RemoveTvPointInput, strawberry.argument(description="The point.")],
    ) -> TvPointResult:
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

    @strawberry.mutation(
        description="Sends REFRESH or RESET_PARENTAL_KEY to a point's box (Enviar Comando ao "
        "STB), through the platform after commit; kept in its history. Needs the TV_PACKAGES "
        "permission."
    )
    async def send_set_top_box_command(
        self,
        info: Info,
        input: Annotated[
            SendSetTopBoxCommandInput, strawberry.argument(description="The point and the command.")
        ],
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
        description="Asks the TV platform about a point's device now and keeps the answer "
        "(Dados na Plataforma, Atualizar); RuleViolation TV_PLATFORM_UNAVAILABLE when it cannot "
        "be reached. Needs the TV_PACKAGES permission."
    )
    async def refresh_tv_point_platform_data(
        self,
        info: Info,
        input: Annotated[
            RefreshTvPointPlatformDataInput, strawberry.argument(description="The point.")
        ],
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
