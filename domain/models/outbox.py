"""The outbox: external effects committed with the change that caused them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdMixin, UtcDateTime, created_at, str_enum
from domain.models.enums import OutboxStatus


class OutboxMessage(IdMixin, Base):
    """A message for an external port (TV platform...) delivered after commit, with retries."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        Index("ix_outbox_message_partition", "partition_key", "status", "id"),
    )

    topic: Mapped[str] = mapped_column(String(80))
    # Messages with the same key are delivered one at a time, in id order (e.g. one customer's
    # TV changes: a point must exist on the platform before it can be moved).
    partition_key: Mapped[str] = mapped_column(String(80), server_default=text("''"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = created_at()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at()
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
