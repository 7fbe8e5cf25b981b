"""The voice reseller's panel (PABX virtual): subscribers, lines, franchises, permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdMixin, created_at, fk, money, str_enum, unique_folded
from domain.models.enums import (
    CustomerKind,
    FranchiseCategory,
    VoiceLineStatus,
    VoicePermission,
)


class VoiceReseller(IdMixin, Base):
    """A reseller (revenda) of voice service that owns its voice subscribers."""

    __tablename__ = "voice_reseller"

    name: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(String(14), unique=True)
    created_at: Mapped[dt.datetime] = created_at()


class VoiceSalePlan(IdMixin, Base):
    """A sale plan a reseller assigns to its subscribers."""

    __tablename__ = "voice_sale_plan"
    __table_args__ = (
        UniqueConstraint("reseller_id", "name"),
        CheckConstraint("monthly_price >= 0", name="price_not_negative"),
    )

    reseller_id: Mapped[int] = fk("voice_reseller.id")
    name: Mapped[str] = mapped_column(String(120))
    monthly_price: Mapped[Decimal] = money()


class VoiceSubscriber(IdMixin, Base):
    """A reseller's voice subscriber (person or company) with its limits and panel access."""

    __tablename__ = "voice_subscriber"
    __table_args__ = (
        UniqueConstraint("reseller_id", "document"),
        CheckConstraint(
            "(kind = 'PERSON' AND length(document) = 11)"
            " OR (kind = 'COMPANY' AND length(document) = 14)",
            name="document_length",
        ),
        CheckConstraint("credit_limit >= 0 AND monthly_limit >= 0", name="limits_not_negative"),
        CheckConstraint("length(cep) = 8", name="cep_length"),
    )

    reseller_id: Mapped[int] = fk("voice_reseller.id")
    sale_plan_id: Mapped[int | None] = fk("voice_sale_plan.id", nullable=True, ondelete="RESTRICT")
    kind: Mapped[CustomerKind] = mapped_column(str_enum(CustomerKind, "customer_kind"))
    name: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(String(14))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    cep: Mapped[str] = mapped_column(String(8))
    street: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(20))
    complement: Mapped[str | None] = mapped_column(String(100))
    district: Mapped[str] = mapped_column(String(100))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    credit_limit: Mapped[Decimal] = money()
    monthly_limit: Mapped[Decimal] = money()
    panel_username: Mapped[str] = mapped_column(String(64), unique=True)
    panel_password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = created_at()


class VoiceLine(IdMixin, Base):
    """A line or extension (linha / ramal) of a voice subscriber."""

    __tablename__ = "voice_line"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "extension"),
        CheckConstraint("simultaneous_ip_lines BETWEEN 1 AND 100", name="simultaneous_lines_range"),
    )

    subscriber_id: Mapped[int] = fk("voice_subscriber.id")
    number: Mapped[str] = mapped_column(String(20), unique=True)
    extension: Mapped[str] = mapped_column(String(10))
    simultaneous_ip_lines: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[VoiceLineStatus] = mapped_column(
        str_enum(VoiceLineStatus, "voice_line_status"), default=VoiceLineStatus.ACTIVE
    )


class VoiceExtension(IdMixin, Base):
    """An extension (ramal) of a voice line: a short number dialled inside the subscriber's
    PABX, with the name it shows; unique among the subscriber's extensions (ADR 0116)."""

    __tablename__ = "voice_extension"
    __table_args__ = (UniqueConstraint("subscriber_id", "extension"),)

    # The line's subscriber, kept on the row so the uniqueness and the row scope need no join.
    subscriber_id: Mapped[int] = fk("voice_subscriber.id")
    line_id: Mapped[int] = fk("voice_line.id")
    extension: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[dt.datetime] = created_at()


class VoiceFranchise(IdMixin, Base):
    """Minutes a subscriber may use per call category each month."""

    __tablename__ = "voice_franchise"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "category"),
        CheckConstraint("minutes >= 0", name="minutes_not_negative"),
        CheckConstraint(
            "NOT consumes_local OR category IN ('FIXED_LDN', 'MOBILE_LDN')",
            name="only_ldn_consumes_local",
        ),
    )

    subscriber_id: Mapped[int] = fk("voice_subscriber.id")
    category: Mapped[FranchiseCategory] = mapped_column(
        str_enum(FranchiseCategory, "franchise_category")
    )
    minutes: Mapped[int] = mapped_column(Integer)
    consumes_local: Mapped[bool] = mapped_column(Boolean, default=False)


class VoiceSubscriberPermission(Base):
    """An access permission the reseller granted to one of its subscribers."""

    __tablename__ = "voice_subscriber_permission"

    subscriber_id: Mapped[int] = fk("voice_subscriber.id", primary_key=True)
    permission: Mapped[VoicePermission] = mapped_column(
        str_enum(VoicePermission, "voice_permission"), primary_key=True
    )


# A panel username is typed by hand: unique whatever its case (ADR 0113).
FOLDED_UNIQUE = (unique_folded(VoiceSubscriber.panel_username),)
