"""Statements actions run on their session's driver connection (domain.statements): inside the
session's transaction, scoped to the caller, with SQLAlchemy's errors and values."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from domain import access, constraints, statements
from domain import models as m
from domain.actions import audit
from domain.actions.plan_common import load_plan, load_plan_copy, plan_copy, save_plan
from domain.actions.plans import change_plan_status
from domain.db import session_factory, writer_bind
from domain.identity import DEVELOPMENT_STAFF, Identity, Role
from domain.models.enums import InactiveReason, PlanStatus, SpeedState


async def _first_plan(session: AsyncSession, *conditions: object) -> tuple[int, int]:
    row = (
        await session.execute(
            select(m.Plan.id, m.Plan.customer_id).where(*conditions).order_by(m.Plan.id).limit(1)
        )
    ).one()
    return row[0], row[1]


async def test_a_plan_copy_holds_the_stored_values_as_the_orm_loads_them(
    session: AsyncSession,
) -> None:
    plan_id, _ = await _first_plan(session, m.Plan.status == PlanStatus.ACTIVE)
    copy = await plan_copy(session, plan_id)
    loaded = await session.get(m.Plan, plan_id)
    assert copy is not None and loaded is not None and copy is not loaded
    for column in m.Plan.__table__.columns:
        name = m.Plan.__mapper__.get_property_by_column(column).key
        assert getattr(copy, name) == getattr(loaded, name), name
        assert type(getattr(copy, name)) is type(getattr(loaded, name)), name
    assert await plan_copy(session, -1) is None


async def test_scoped_statements_see_only_the_callers_rows(session: AsyncSession) -> None:
    mine, customer = await _first_plan(session)
    other, _ = await _first_plan(session, m.Plan.customer_id != customer)
    access.bind(session, Identity(subject="s", role=Role.SUBSCRIBER, customer_id=customer))
    try:
        assert await plan_copy(session, other) is None
        copy = await plan_copy(session, mine)
        assert copy is not None and copy.customer_id == customer
    finally:
        access.unbind(session)
    # The staff's statement is another one: it sees every plan.
    access.bind(session, DEVELOPMENT_STAFF)
    try:
        assert await plan_copy(session, other) is not None
    finally:
        access.unbind(session)


async def test_a_violated_constraint_is_sqlalchemys_integrity_error(
    session: AsyncSession,
) -> None:
    """So that `perform` maps it as for any statement: a ValidationError on the input field
    the constraint's meaning names (domain.constraints)."""
    first, second = (
        await session.execute(select(m.Customer.id, m.Customer.document).limit(2))
    ).all()
    table = m.Customer.__table__

    def taken_document() -> object:
        return (
            update(table)
            .where(table.c.id == bindparam("customer_id"))
            .values(document=bindparam("document"))
            .returning(table.c.id)
        )

    with pytest.raises(IntegrityError) as caught:
        await statements.run(
            session,
            "test.taken_document",
            taken_document,
            {"customer_id": first[0], "document": second[1]},
        )
    name = constraints.constraint_name(caught.value)
    assert name is not None and constraints.meaning_of(name) is not None


async def test_the_statements_are_the_sessions_transaction(engine: AsyncEngine) -> None:
    """The first statement of a session begins its transaction (PostgreSQL's BEGIN is sent
    with the first statement): a rollback undoes it, a commit keeps it."""
    sessions = session_factory(writer_bind(engine))
    marker = {"action": "statementsTest"}

    async def rows() -> int:
        async with engine.connect() as connection:
            return int(
                await connection.scalar(
                    select(func.count())
                    .select_from(m.AuditLog)
                    .where(m.AuditLog.action == "statementsTest")
                )
                or 0
            )

    before = await rows()
    async with sessions() as session:
        await audit.record(
            session, actor=DEVELOPMENT_STAFF, target_type="Plan", target_id=1, before=None,
            after=None, **marker,
        )  # fmt: skip
        await session.rollback()
    assert await rows() == before
    async with sessions() as session:
        await audit.record(
            session, actor=DEVELOPMENT_STAFF, target_type="Plan", target_id=1, before=None,
            after=None, **marker,
        )  # fmt: skip
        await session.commit()
    try:
        assert await rows() == before + 1
    finally:
        async with writer_bind(engine).begin() as connection:
            await connection.execute(
                m.AuditLog.__table__.delete().where(m.AuditLog.action == "statementsTest")
            )


async def test_a_versioned_save_refuses_a_stale_copy_and_keeps_the_session_true(
    session: AsyncSession,
) -> None:
    plan_id, _ = await _first_plan(
        session, m.Plan.status == PlanStatus.ACTIVE, m.Plan.speed_state == SpeedState.NORMAL
    )
    held = await load_plan(session, plan_id)  # the session's own copy
    stale = await load_plan_copy(session, plan_id)
    plan = await change_plan_status(
        session,
        plan_id=plan_id,
        status=PlanStatus.INACTIVE,
        inactive_reason=InactiveReason.SUSPENDED,
        actor=DEVELOPMENT_STAFF,
    )
    assert plan.version == stale.version + 1
    # The session's copy took the written values: an ORM write of it checks the new version.
    assert (held.status, held.version) == (PlanStatus.INACTIVE, plan.version)
    held.due_day = 1 if held.due_day != 1 else 2
    await session.flush()
    assert held.version == plan.version + 1
    # A copy read before those writes is refused, and changes nothing.
    stale.speed_state = SpeedState.NORMAL
    with pytest.raises(StaleDataError):
        await save_plan(session, stale, "speed_state")
    stored = await session.scalar(select(m.Plan.speed_state).where(m.Plan.id == plan_id))
    assert stored == SpeedState.REDUCED.name or stored == SpeedState.REDUCED
