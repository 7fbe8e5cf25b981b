"""Support and usage records: tickets, RADIUS accounting sessions and call records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdMixin, UtcDateTime, fk, money, str_enum
from domain.models.enums import CallTermination, TicketStatus


class Ticket(IdMixin, Base):
    """A support ticket (atendimento), known to the customer by its protocol."""

    __tablename__ = "ticket"
    __table_args__ = (
        CheckConstraint("closed_at IS NULL OR closed_at >= opened_at", name="closed_after_opened"),
        CheckConstraint("(status = 'CLOSED') = (closed_at IS NOT NULL)", name="closed_iff_date"),
        Index("ix_ticket_type", "type"),
        Index("ix_ticket_status", "status"),
        Index("ix_ticket_opened_at", "opened_at"),
    )

    customer_id: Mapped[int] = fk("customer.id")
    plan_id: Mapped[int | None] = fk("plan.id", nullable=True, ondelete="SET NULL")
    protocol: Mapped[str] = mapped_column(String(30), unique=True)
    description: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(60))
    status: Mapped[TicketStatus] = mapped_column(str_enum(TicketStatus, "ticket_status"))
    opened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class TicketContact(IdMixin, Base):
    """A contact involved in a ticket; position 1 is the ticket's first contact."""

    __tablename__ = "ticket_contact"
    __table_args__ = (CheckConstraint("position >= 1", name="position_positive"),)

    ticket_id: Mapped[int] = fk("ticket.id")
    contact_id: Mapped[int | None] = fk("contact.id", nullable=True, ondelete="SET NULL")
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)


class ConnectionSession(Base):
    """A RADIUS accounting session, shaped like FreeRADIUS's `radacct` so it can write here."""

    __tablename__ = "radacct"
    __table_args__ = (
        Index("ix_radacct_username_start", "username", "acctstarttime"),
        Index("ix_radacct_nasipaddress", "nasipaddress"),
        Index("ix_radacct_acctstarttime", "acctstarttime"),
    )

    radacctid: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    acctsessionid: Mapped[str] = mapped_column(String(64))
    acctuniqueid: Mapped[str] = mapped_column(String(32), unique=True)
    username: Mapped[str] = mapped_column(String(64))
    realm: Mapped[str | None] = mapped_column(String(64))
    nasipaddress: Mapped[str] = mapped_column(String(39))
    nasportid: Mapped[str | None] = mapped_column(String(32))
    acctstarttime: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    acctupdatetime: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    acctstoptime: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    acctsessiontime: Mapped[int | None] = mapped_column(BigInteger)
    acctinputoctets: Mapped[int | None] = mapped_column(BigInteger)
    acctoutputoctets: Mapped[int | None] = mapped_column(BigInteger)
    callingstationid: Mapped[str | None] = mapped_column(String(50))
    acctterminatecause: Mapped[str | None] = mapped_column(String(32))
    framedipaddress: Mapped[str | None] = mapped_column(String(39))


class CallRecord(IdMixin, Base):
    """A call made from a voice terminal or a reseller's line (extrato de ligação)."""

    __tablename__ = "call_record"
    __table_args__ = (
        CheckConstraint("duration_seconds >= 0", name="duration_not_negative"),
        CheckConstraint("cost >= 0", name="cost_not_negative"),
        CheckConstraint(
            "(voice_terminal_id IS NULL) <> (voice_line_id IS NULL)", name="exactly_one_source"
        ),
        Index("ix_call_record_terminal_time", "voice_terminal_id", "started_at"),
        Index("ix_call_record_started_at", "started_at"),
        Index("ix_call_record_termination", "termination"),
    )

    voice_terminal_id: Mapped[int | None] = fk("service_voice_terminal.id", nullable=True)
    voice_line_id: Mapped[int | None] = fk("voice_line.id", nullable=True)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    destination: Mapped[str] = mapped_column(String(30))
    duration_seconds: Mapped[int] = mapped_column(Integer)
    termination: Mapped[CallTermination] = mapped_column(
        str_enum(CallTermination, "call_termination")
    )
    cost: Mapped[Decimal] = money()
