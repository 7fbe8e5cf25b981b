"""The access policy covers every table, and scoping holds for reads made outside the graph."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import access
from domain import models as m
from domain.errors import NotAllowed
from domain.identity import Identity, Permission, Role


def test_every_mapped_table_has_a_policy() -> None:
    for mapper in m.Base.registry.mappers:
        policy = access.policy_of(mapper.class_)
        if policy.owner in (access.Owner.CUSTOMER, access.Owner.RESELLER):
            assert policy.criterion is not None, mapper.class_.__name__


def test_an_unclassified_model_fails_closed() -> None:
    class Stray:
        pass

    with pytest.raises(LookupError, match="no access policy"):
        access.policy_of(Stray)


async def test_scoping_reaches_counts_subqueries_and_session_get(session: AsyncSession) -> None:
    customers = list(await session.scalars(select(m.Customer.id).order_by(m.Customer.id)))
    mine, other = customers[0], customers[-1]
    access.bind(session, Identity(subject="s", role=Role.SUBSCRIBER, customer_id=mine))
    try:
        assert await session.scalar(select(func.count()).select_from(m.Customer)) == 1
        assert await session.get(m.Customer, other) is None
        plans = list(await session.scalars(select(m.Plan)))
        assert plans and {p.customer_id for p in plans} == {mine}
        # Joined-inheritance subclasses follow the Service policy.
        logins = list(await session.scalars(select(m.RadiusLogin)))
        assert {login.plan_id for login in logins} <= {p.id for p in plans}
        assert await session.scalar(select(func.count()).select_from(m.VoiceSubscriber)) == 0
        assert await session.scalar(select(func.count()).select_from(m.AuditLog)) == 0

        access.bind(session, Identity.staff("clerk", Permission.BILLING))
        assert await session.scalar(select(func.count()).select_from(m.Customer)) == len(customers)
        assert await session.scalar(select(func.count()).select_from(m.Receivable)) > 0
        with pytest.raises(NotAllowed) as refused:
            await session.scalar(select(func.count()).select_from(m.TvPoint))
        assert refused.value.permission == "TV_PACKAGES"
        # An action checks its own permissions: while it runs, rows stay scoped, not refused.
        with access.acting(session):
            assert await session.scalar(select(func.count()).select_from(m.TvPoint)) > 0

        reseller = await session.scalar(select(m.VoiceReseller.id).limit(1))
        access.bind(session, Identity(subject="r", role=Role.RESELLER, reseller_id=reseller))
        subscribers = list(await session.scalars(select(m.VoiceSubscriber)))
        assert subscribers and {s.reseller_id for s in subscribers} == {reseller}
        assert await session.scalar(select(func.count()).select_from(m.Customer)) == 0
    finally:
        session.sync_session.info.clear()
