"""TV on a plan: package subscriptions, set-top box equipment, points and their history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import (
    Base,
    IdMixin,
    UtcDateTime,
    created_at,
    fk,
    money,
    str_enum,
    unique_folded,
)
from domain.models.enums import SyncState, TvPointEvent, TvPointStatus


class TvPackageSubscription(IdMixin, Base):
    """A TV package on a plan: the offer's default one, or an extra one with its own value."""

    __tablename__ = "tv_package_subscription"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="date_range"),
        Index(
            "uq_tv_package_subscription_current",
            "plan_id",
            "package_id",
            unique=True,
            postgresql_where=text("end_date IS NULL"),
            sqlite_where=text("end_date IS NULL"),
        ),
        Index("ix_tv_package_subscription_sync_state", "sync_state"),
    )

    plan_id: Mapped[int] = fk("plan.id")
    package_id: Mapped[int] = fk("tv_package.id", ondelete="RESTRICT")
    value: Mapped[Decimal] = money()
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    sync_state: Mapped[SyncState] = mapped_column(
        str_enum(SyncState, "sync_state"), default=SyncState.PENDING
    )
    sync_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at()


class Equipment(IdMixin, Base):
    """A set-top box known by its CASN; its details are read-only to the gateway."""

    __tablename__ = "equipment"

    casn: Mapped[str] = mapped_column(String(32), unique=True)
    description: Mapped[str] = mapped_column(String(120))
    asset_tag: Mapped[str] = mapped_column(String(40), unique=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)
    internal_code: Mapped[str] = mapped_column(String(40))
    smartcard: Mapped[str | None] = mapped_column(String(40), unique=True)


class TvPoint(IdMixin, Base):
    """A set-top box installed at a location of the customer's premises (ponto de TV)."""

    __tablename__ = "tv_point"
    __table_args__ = (
        # One equipment serves one active point at a time.
        Index(
            "uq_tv_point_equipment_active",
            "equipment_id",
            unique=True,
            postgresql_where=text("status = 'ACTIVE'"),
            sqlite_where=text("status = 'ACTIVE'"),
        ),
        CheckConstraint("(status = 'REMOVED') = (removed_at IS NOT NULL)", name="removed_date"),
        Index("ix_tv_point_status", "status"),
        Index("ix_tv_point_sync_state", "sync_state"),
    )

    plan_id: Mapped[int] = fk("plan.id")
    location_id: Mapped[int] = fk("tv_point_location.id", ondelete="RESTRICT")
    equipment_id: Mapped[int] = fk("equipment.id", ondelete="RESTRICT")
    status: Mapped[TvPointStatus] = mapped_column(
        str_enum(TvPointStatus, "tv_point_status"), default=TvPointStatus.ACTIVE
    )
    platform_device_id: Mapped[str | None] = mapped_column(String(64))
    # The platform's last answer about the device (Dados na Plataforma), and when it came.
    platform_data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    platform_data_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    sync_state: Mapped[SyncState] = mapped_column(
        str_enum(SyncState, "sync_state"), default=SyncState.PENDING
    )
    sync_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = created_at()
    removed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class TvPointHistory(IdMixin, Base):
    """One event in a TV point's life: added, moved, swapped, command sent, removed."""

    __tablename__ = "tv_point_history"

    tv_point_id: Mapped[int] = fk("tv_point.id")
    event: Mapped[TvPointEvent] = mapped_column(str_enum(TvPointEvent, "tv_point_event"))
    from_location_id: Mapped[int | None] = fk(
        "tv_point_location.id", nullable=True, ondelete="RESTRICT"
    )
    to_location_id: Mapped[int | None] = fk(
        "tv_point_location.id", nullable=True, ondelete="RESTRICT"
    )
    from_equipment_id: Mapped[int | None] = fk("equipment.id", nullable=True, ondelete="RESTRICT")
    to_equipment_id: Mapped[int | None] = fk("equipment.id", nullable=True, ondelete="RESTRICT")
    detail: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[dt.datetime] = created_at()


# A CASN is typed by hand: unique whatever its case (ADR 0113).
FOLDED_UNIQUE = (unique_folded(Equipment.casn, upper=True),)
