"""What a transaction changed reaches the sinks only when it commits, savepoints included
(domain.changes, ADR 0220)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain import changes
from domain import models as m
from domain.actions import outbox as outbox_actions
from domain.changes import Change, Kind
from domain.models.base import utcnow


@pytest.fixture
def committed() -> Iterator[list[list[Change]]]:
    """Every batch the process's sinks get while the test runs."""
    batches: list[list[Change]] = []
    changes.add_sink(batches.append)
    try:
        yield batches
    finally:
        changes.remove_sink(batches.append)


async def _tickets(session: AsyncSession, count: int) -> list[m.Ticket]:
    return list(await session.scalars(select(m.Ticket).order_by(m.Ticket.id).limit(count)))


def _of(ticket: m.Ticket) -> Change:
    return Change(Kind.TICKET, ticket.id, ticket.customer_id, ticket.plan_id)


async def test_a_commit_hands_its_changes_to_the_sinks_once_each(
    session: AsyncSession, committed: list[list[Change]]
) -> None:
    (ticket,) = await _tickets(session, 1)
    ticket.type = "Sem sinal"
    await session.flush()
    ticket.type = "Lentidão"  # a second flush of the same row: still one change
    assert committed == []
    await session.commit()
    assert committed == [[_of(ticket)]]


async def test_a_rolled_back_savepoint_announces_nothing_of_its_own(
    session: AsyncSession, committed: list[list[Change]]
) -> None:
    kept, undone = await _tickets(session, 2)
    kept.type = "kept"
    await session.flush()
    with pytest.raises(RuntimeError):
        async with session.begin_nested():
            undone.type = "undone"
            await session.flush()
            raise RuntimeError("the action is refused")
    async with session.begin_nested():  # a released savepoint's changes are the commit's
        plan = await session.scalar(select(m.Plan).order_by(m.Plan.id).limit(1))
        assert plan is not None
        plan.due_day = 28 if plan.due_day != 28 else 27
    await session.commit()
    assert committed == [[_of(kept), Change(Kind.PLAN, plan.id, plan.customer_id, plan.id)]]


async def test_a_rolled_back_transaction_announces_nothing(
    session: AsyncSession, committed: list[list[Change]]
) -> None:
    (ticket,) = await _tickets(session, 1)
    ticket.type = "never"
    await session.flush()
    await session.rollback()
    await session.commit()  # nothing left to announce, not even the rolled-back change
    assert committed == []


async def test_outbox_deliveries_are_noted_though_written_by_bulk_updates(
    session: AsyncSession, committed: list[list[Change]]
) -> None:
    message = outbox_actions.enqueue(
        session, topic="tv.test", partition_key="", payload={"customer_id": 1}
    )
    await session.flush()
    await session.commit()
    assert committed == [[Change(Kind.OUTBOX, message.id)]]
    await outbox_actions.mark_delivered(session, message.id, now=utcnow())
    await session.commit()
    assert committed[1] == [Change(Kind.OUTBOX, message.id)]


def test_announcements_stay_under_postgresqls_payload_limit_and_read_back() -> None:
    many = [Change(Kind.RECEIVABLE, n, n // 3, None) for n in range(1, 3001)]
    payloads = changes.encode(many)
    assert len(payloads) > 1
    assert all(len(p) < changes.MAX_PAYLOAD for p in payloads)
    assert [c for p in payloads for c in changes.decode(p)] == many
    # An item a newer version adds is skipped, not fatal.
    assert changes.decode(b'[["someday", 1, null, null], ["plan", 2, 3, 2]]') == [
        Change(Kind.PLAN, 2, 3, 2)
    ]
