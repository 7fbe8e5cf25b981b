"""Batched reads for relations that need more than a foreign-key match."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import with_polymorphic

from domain.models import Channel, Service, TvPackageChannel

_ANY_SERVICE = with_polymorphic(Service, "*")


async def services_by_plan_ids(session: AsyncSession, plan_ids: Sequence[int]) -> list[Service]:
    """Every service of the plans, each as its kind's class, in one statement."""
    statement = (
        select(_ANY_SERVICE)
        .where(_ANY_SERVICE.plan_id.in_(list(plan_ids)))
        .order_by(_ANY_SERVICE.plan_id, _ANY_SERVICE.id)
    )
    return list(await session.scalars(statement))


async def services_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Service]:
    statement = select(_ANY_SERVICE).where(_ANY_SERVICE.id.in_(list(ids))).order_by(_ANY_SERVICE.id)
    return list(await session.scalars(statement))


async def channels_by_package_ids(
    session: AsyncSession, package_ids: Sequence[int]
) -> list[tuple[int, Channel]]:
    """(package id, channel) pairs, channels in grid order within each package."""
    statement = (
        select(TvPackageChannel.package_id, Channel)
        .join(Channel, Channel.id == TvPackageChannel.channel_id)
        .where(TvPackageChannel.package_id.in_(list(package_ids)))
        .order_by(TvPackageChannel.package_id, Channel.number, Channel.id)
    )
    return [(row[0], row[1]) for row in await session.execute(statement)]
