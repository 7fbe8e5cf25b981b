"""The outbox as staff follow it (`outboxDelivery`): one message to an external system."""

from __future__ import annotations

import datetime as dt

import strawberry

from domain import models as m
from domain.models import enums as domain_enums
from gateway.schema.base import DATABASE_ID, FromModel, Node, described_enum

OutboxStatus = described_enum(
    domain_enums.OutboxStatus,
    "Where an outbox message stands: waiting (or retrying), delivered, or given up.",
    {
        "PENDING": "Not delivered yet: due at `nextAttemptAt` (`lastError` says why a try failed).",
        "DELIVERED": "The external system has it.",
        "FAILED": "Delivery gave up after its retries (or was refused); `lastError` says why.",
    },
)


@strawberry.type(
    name="OutboxMessage",
    description="A change on its way to an external system (the TV platform), written with "
    "the transaction that caused it and delivered after commit, with retries (ADR 0060). Staff "
    "only.",
)
class OutboxMessageType(FromModel, Node):
    graphql_name = "OutboxMessage"
    model = m.OutboxMessage
    database_id: int = strawberry.field(description=DATABASE_ID)
    topic: str = strawberry.field(description="What it asks for, e.g. tv.point.add.")
    status: OutboxStatus = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="Delivery attempts so far.")
    last_error: str | None = strawberry.field(
        description="Why the last attempt failed; null when none failed (or it was delivered)."
    )
    created_at: dt.datetime = strawberry.field(description="When it was written.")
    next_attempt_at: dt.datetime = strawberry.field(
        description="When it is next due (while PENDING)."
    )
    delivered_at: dt.datetime | None = strawberry.field(
        description="When it was delivered; null until DELIVERED."
    )
