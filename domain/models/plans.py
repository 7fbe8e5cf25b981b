"""Customer plans (planos do cliente), their contracts, address history and appointments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    Date,
    Index,
    Integer,
    String,
    Text,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

if TYPE_CHECKING:
    from domain.models.customers import Customer

from domain.models.base import Base, IdMixin, UtcDateTime, created_at, fk, money, str_enum
from domain.models.enums import (
    AddressRole,
    AppointmentStatus,
    DueDateAdjustmentKind,
    InactiveReason,
    PaymentMethod,
    PlanStatus,
    SpeedState,
)


class Plan(IdMixin, Base):
    """One contract of a customer for one plan offer; exactly one status at a time."""

    __tablename__ = "plan"
    __table_args__ = (
        CheckConstraint(
            "(status = 'INACTIVE') = (inactive_reason IS NOT NULL)", name="reason_iff_inactive"
        ),
        CheckConstraint("due_day BETWEEN 1 AND 28", name="due_day_range"),
        CheckConstraint(
            "payment_method <> 'BANK_DEBIT' OR (bank_id IS NOT NULL"
            " AND bank_branch IS NOT NULL AND bank_account IS NOT NULL)",
            name="bank_debit_details",
        ),
        CheckConstraint(
            "payment_method <> 'PHONE_BILL_DEBIT' OR phone_bill_account IS NOT NULL",
            name="phone_bill_details",
        ),
        CheckConstraint(
            "(status = 'CANCELLED') = (cancelled_at IS NOT NULL)", name="cancelled_iff_date"
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_plan_status", "status"),
        # Report filters (ADR 0150).
        Index("ix_plan_inactive_reason", "inactive_reason"),
        Index("ix_plan_payment_method", "payment_method"),
        Index("ix_plan_due_day", "due_day"),
        Index("ix_plan_created_at", "created_at"),
    )

    customer_id: Mapped[int] = fk("customer.id")
    offer_id: Mapped[int] = fk("plan_offer.id", ondelete="RESTRICT")
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus, "plan_status"))
    inactive_reason: Mapped[InactiveReason | None] = mapped_column(
        str_enum(InactiveReason, "inactive_reason")
    )
    installation_address_id: Mapped[int] = fk("address.id", ondelete="RESTRICT")
    billing_address_id: Mapped[int] = fk("address.id", ondelete="RESTRICT")
    billing_form_id: Mapped[int | None] = fk("billing_form.id", nullable=True, ondelete="RESTRICT")
    payment_method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, "payment_method"))
    due_day: Mapped[int] = mapped_column(Integer)
    speed_state: Mapped[SpeedState] = mapped_column(
        str_enum(SpeedState, "speed_state"), default=SpeedState.NORMAL
    )
    speed_restored_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    last_speed_restoration_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    enabled_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    # When the last temporary enablement started: its minimum interval counts from here.
    last_enabled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    bank_id: Mapped[int | None] = fk("bank.id", nullable=True, ondelete="RESTRICT")
    bank_branch: Mapped[str | None] = mapped_column(String(10))
    bank_account: Mapped[str | None] = mapped_column(String(20))
    bank_debit_authorized_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    phone_bill_account: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[dt.datetime] = created_at()
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Optimistic concurrency: two writers of one plan never both win.
    version: Mapped[int] = mapped_column(Integer, default=1)

    customer: Mapped[Customer] = relationship(back_populates="plans", lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class PlanAddressHistory(IdMixin, Base):
    """Every installation or billing address a plan has had (kept by transfer of address)."""

    __tablename__ = "plan_address_history"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_range"),
    )

    plan_id: Mapped[int] = fk("plan.id")
    address_id: Mapped[int] = fk("address.id", ondelete="RESTRICT")
    role: Mapped[AddressRole] = mapped_column(str_enum(AddressRole, "address_role"))
    valid_from: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    valid_to: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class Contract(IdMixin, Base):
    """The service contract of a plan (contrato do serviço), printable from its template."""

    __tablename__ = "contract"
    __table_args__ = (
        CheckConstraint("installation_fee >= 0", name="fee_not_negative"),
        CheckConstraint("installation_installments BETWEEN 1 AND 24", name="installments_range"),
        CheckConstraint("validity_months BETWEEN 1 AND 120", name="validity_range"),
    )

    plan_id: Mapped[int] = fk("plan.id", unique=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    sale_date: Mapped[dt.date] = mapped_column(Date)
    installation_fee: Mapped[Decimal] = money()
    installation_installments: Mapped[int] = mapped_column(Integer)
    validity_months: Mapped[int] = mapped_column(Integer)
    template_id: Mapped[int | None] = fk("contract_template.id", nullable=True, ondelete="RESTRICT")


class InstallationAppointment(IdMixin, Base):
    """An installation scheduled for a technician or a role, followed by a contact."""

    __tablename__ = "installation_appointment"
    __table_args__ = (
        CheckConstraint(
            "technician_id IS NOT NULL OR role_id IS NOT NULL", name="technician_or_role"
        ),
        CheckConstraint("start_time < end_time", name="start_before_end"),
        Index("ix_installation_appointment_slot", "technician_id", "date"),
    )

    plan_id: Mapped[int] = fk("plan.id")
    technician_id: Mapped[int | None] = fk("technician.id", nullable=True, ondelete="RESTRICT")
    role_id: Mapped[int | None] = fk("role.id", nullable=True, ondelete="RESTRICT")
    contact_id: Mapped[int | None] = fk("contact.id", nullable=True, ondelete="SET NULL")
    date: Mapped[dt.date] = mapped_column(Date)
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    status: Mapped[AppointmentStatus] = mapped_column(
        str_enum(AppointmentStatus, "appointment_status"), default=AppointmentStatus.SCHEDULED
    )
    notes: Mapped[str | None] = mapped_column(Text)


class DueDateChange(IdMixin, Base):
    """A confirmed due-date change and the figures it applies to the next receivable.

    The receivable is not generated yet when the change is made; the billing run adds `amount`
    (a surcharge) to, or takes it (a discount) from, the plan's receivable due on
    `new_due_date`, and links it in `receivable_id`.
    """

    __tablename__ = "due_date_change"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("from_due_day <> to_due_day", name="day_changes"),
    )

    plan_id: Mapped[int] = fk("plan.id")
    from_due_day: Mapped[int] = mapped_column(Integer)
    to_due_day: Mapped[int] = mapped_column(Integer)
    current_due_date: Mapped[dt.date] = mapped_column(Date)
    new_due_date: Mapped[dt.date] = mapped_column(Date)
    days_moved: Mapped[int] = mapped_column(Integer)
    kind: Mapped[DueDateAdjustmentKind] = mapped_column(
        str_enum(DueDateAdjustmentKind, "due_date_adjustment_kind")
    )
    amount: Mapped[Decimal] = money()
    receivable_id: Mapped[int | None] = fk("receivable.id", nullable=True, ondelete="SET NULL")
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = created_at()
