"""What a committed transaction changed, for the gateway's subscriptions (ADR 0220).

Every flush notes the rows it wrote of the tables subscriptions follow (plans, TV points and
packages, tickets, receivables; outbox deliveries are noted by `domain.actions.outbox`), each
noted under the transaction (or savepoint) that wrote it. A savepoint rolled back forgets its
notes, a rolled-back transaction all of them: a change is only ever announced once its
transaction commits.

On PostgreSQL the committing transaction itself announces its changes with `pg_notify` on
`CHANNEL`, issued just before COMMIT: the server delivers them to every listening process only
if the transaction commits, and in commit order. On every database the changes are also handed,
after the commit, to the sinks registered in this process (`add_sink`): the in-process delivery
of the embedded SQLite setup, and the Redis publisher.

A `Change` carries keys only (kind, row id, customer, plan): a subscriber reads the row itself,
scoped to its own identity, so an announcement discloses nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import orjson
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.util import await_only

from domain import models as m
from domain.reads.batched import Reader

CHANNEL = "gateway_changes"
# PostgreSQL refuses a NOTIFY payload of 8000 bytes or more: larger batches go in several.
MAX_PAYLOAD = 7000

NOTIFY = "SELECT pg_notify($1, $2)"
_NOTES = "changes.notes"  # [(SessionTransaction, Change)] of the session's open transaction
_COMMITTED = "changes.committed"  # the changes of the transaction being committed


class Kind(enum.Enum):
    """What kind of row changed (the value travels in announcements)."""

    PLAN = "plan"
    TV_POINT = "tvPoint"
    TV_PACKAGE = "tvPackage"
    TICKET = "ticket"
    RECEIVABLE = "receivable"
    OUTBOX = "outbox"


class Change(NamedTuple):
    """One changed row: its kind and id, and the keys subscriptions are followed by."""

    kind: Kind
    id: int
    customer_id: int | None = None
    plan_id: int | None = None

    def encode(self) -> list[Any]:
        return [self.kind.value, self.id, self.customer_id, self.plan_id]

    @classmethod
    def decode(cls, item: list[Any]) -> Change:
        kind, id_, customer_id, plan_id = item
        return cls(Kind(kind), int(id_), customer_id, plan_id)


def encode(changes: Iterable[Change]) -> list[bytes]:
    """Announcements of `changes` (JSON arrays), each under MAX_PAYLOAD bytes, in order."""
    payloads: list[bytes] = []
    batch: list[list[Any]] = []
    size = 2
    for change in changes:
        item = change.encode()
        item_size = len(orjson.dumps(item)) + 1
        if batch and size + item_size > MAX_PAYLOAD:
            payloads.append(orjson.dumps(batch))
            batch, size = [], 2
        batch.append(item)
        size += item_size
    if batch:
        payloads.append(orjson.dumps(batch))
    return payloads


def decode(payload: str | bytes) -> list[Change]:
    """The changes of one announcement; an item this version does not know is skipped."""
    changes = []
    for item in orjson.loads(payload):
        try:
            changes.append(Change.decode(item))
        except (ValueError, TypeError):
            continue
    return changes


def _of(row: Any) -> Change | None:
    if isinstance(row, m.Plan):
        return Change(Kind.PLAN, row.id, row.customer_id, row.id)
    if isinstance(row, m.TvPoint):
        return Change(Kind.TV_POINT, row.id, None, row.plan_id)
    if isinstance(row, m.TvPackageSubscription):
        return Change(Kind.TV_PACKAGE, row.id, None, row.plan_id)
    if isinstance(row, m.Ticket):
        return Change(Kind.TICKET, row.id, row.customer_id, row.plan_id)
    if isinstance(row, m.Receivable):
        return Change(Kind.RECEIVABLE, row.id, row.customer_id, row.plan_id)
    if isinstance(row, m.OutboxMessage):
        return Change(Kind.OUTBOX, row.id)
    return None


def note(session: Session | Any, change: Change) -> None:
    """Notes a change written by the session's current transaction (or savepoint)."""
    sync = getattr(session, "sync_session", session)
    transaction = sync.get_nested_transaction() or sync.get_transaction()
    sync.info.setdefault(_NOTES, []).append((transaction, change))


# ------------------------------------------------------------------ where sinks come in

Sink = Callable[[list[Change]], None]
_SINKS: list[Sink] = []


def add_sink(sink: Sink) -> None:
    """Calls `sink` with the changes of every transaction this process commits, after the
    commit, in commit order (it must not block: it runs on the committing task)."""
    _SINKS.append(sink)


def remove_sink(sink: Sink) -> None:
    if sink in _SINKS:
        _SINKS.remove(sink)


# ---------------------------------------------------------------- the session's events


@event.listens_for(Session, "after_flush")
def _noted_by_flush(session: Session, _context: Any) -> None:
    for row in session.new:
        change = _of(row)
        if change is not None:
            note(session, change)
    for row in session.dirty:
        change = _of(row)
        if change is not None and session.is_modified(row, include_collections=False):
            note(session, change)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: Any) -> None:
    notes = session.info.get(_NOTES)
    if not notes:
        return
    kept = []
    for transaction, change in notes:
        ancestor = transaction
        while ancestor is not None and ancestor is not previous_transaction:
            ancestor = ancestor.parent
        if ancestor is None:
            kept.append((transaction, change))
    session.info[_NOTES] = kept
    if previous_transaction.parent is None:
        session.info.pop(_COMMITTED, None)  # a failed COMMIT announced nothing


@event.listens_for(Session, "before_commit")
def _announce(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: its changes belong to the enclosing transaction now
    session.info.pop(_COMMITTED, None)
    session.flush()  # the commit's own last flush comes after this event
    notes = session.info.pop(_NOTES, None)
    if not notes:
        return
    changes = list(dict.fromkeys(change for _transaction, change in notes))
    session.info[_COMMITTED] = changes
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # On the driver, in the transaction (a Core statement cost more CPU than the commit):
        # counted and traced as the compiled roads' statements are.
        notifier = Reader("postgresql", connection.connection.driver_connection)
        for payload in encode(changes):
            await_only(notifier.fetch_sql(NOTIFY, [CHANNEL, payload.decode()]))


@event.listens_for(Session, "after_commit")
def _hand_to_sinks(session: Session) -> None:
    if session.in_nested_transaction():
        return
    changes = session.info.pop(_COMMITTED, None)
    if changes:
        for sink in list(_SINKS):
            sink(changes)
