"""Money: receivables, invoices, boletos, billing events and SMS credit purchases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdMixin, UtcDateTime, created_at, fk, money, str_enum
from domain.models.enums import (
    BillingEventKind,
    BillingEventStatus,
    ReceivableOrigin,
    ReceivableStatus,
)


class Invoice(IdMixin, Base):
    """A fiscal invoice (nota fiscal) with its XML document."""

    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_invoice_issued_on", "issued_on"),
    )

    customer_id: Mapped[int] = fk("customer.id")
    number: Mapped[str] = mapped_column(String(30), unique=True)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = money()
    xml_document: Mapped[str] = mapped_column(Text)


class Receivable(IdMixin, Base):
    """An amount the customer owes on a due date (conta a receber), open or paid."""

    __tablename__ = "receivable"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("(status = 'PAID') = (paid_at IS NOT NULL)", name="paid_iff_date"),
        CheckConstraint(
            "installment_number IS NULL OR installment_number >= 1", name="installment_positive"
        ),
        CheckConstraint(
            "origin <> 'EXTRA_SERVICE' OR extra_service_id IS NOT NULL", name="extra_service_link"
        ),
        Index("ix_receivable_due", "status", "due_date"),
        # Report filters and keyset orderings (ADR 0150).
        Index("ix_receivable_due_date_id", "due_date", "id"),
        Index("ix_receivable_paid_at", "paid_at"),
    )

    customer_id: Mapped[int] = fk("customer.id")
    plan_id: Mapped[int | None] = fk("plan.id", nullable=True)
    extra_service_id: Mapped[int | None] = fk("service_extra.id", nullable=True)
    invoice_id: Mapped[int | None] = fk("invoice.id", nullable=True, ondelete="SET NULL")
    origin: Mapped[ReceivableOrigin] = mapped_column(
        str_enum(ReceivableOrigin, "receivable_origin")
    )
    description: Mapped[str] = mapped_column(String(200))
    installment_number: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[Decimal] = money()
    due_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[ReceivableStatus] = mapped_column(
        str_enum(ReceivableStatus, "receivable_status"), default=ReceivableStatus.OPEN
    )
    # Set once the receivable went out on a boleto or invoice; billed ones are never dropped.
    billed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    paid_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    paid_amount: Mapped[Decimal | None] = money(nullable=True)
    created_at: Mapped[dt.datetime] = created_at()


class Boleto(IdMixin, Base):
    """A payable slip for an open receivable; reprintable (segunda via)."""

    __tablename__ = "boleto"

    receivable_id: Mapped[int] = fk("receivable.id")
    bank_id: Mapped[int] = fk("bank.id", ondelete="RESTRICT")
    our_number: Mapped[str] = mapped_column(String(20), unique=True)  # nosso número
    digitable_line: Mapped[str] = mapped_column(String(60))
    barcode: Mapped[str] = mapped_column(String(44))
    due_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = money()
    issued_at: Mapped[dt.datetime] = created_at()


class BillingEvent(IdMixin, Base):
    """A charge waiting for the regular billing run, e.g. a TV extra package for a due date."""

    __tablename__ = "billing_event"
    __table_args__ = (
        # Running the TV billing twice for one due date creates nothing twice.
        UniqueConstraint("tv_package_subscription_id", "due_date"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(
            "(status = 'PROCESSED') = (receivable_id IS NOT NULL)", name="processed_iff_receivable"
        ),
        Index("ix_billing_event_status", "status"),
        Index("ix_billing_event_due_date", "due_date"),
    )

    plan_id: Mapped[int] = fk("plan.id")
    tv_package_subscription_id: Mapped[int | None] = fk("tv_package_subscription.id", nullable=True)
    kind: Mapped[BillingEventKind] = mapped_column(str_enum(BillingEventKind, "billing_event_kind"))
    due_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = money()
    status: Mapped[BillingEventStatus] = mapped_column(
        str_enum(BillingEventStatus, "billing_event_status"), default=BillingEventStatus.PENDING
    )
    receivable_id: Mapped[int | None] = fk("receivable.id", nullable=True, ondelete="RESTRICT")
    created_at: Mapped[dt.datetime] = created_at()


class SmsCreditPurchase(IdMixin, Base):
    """SMS credits bought for a plan; produces a receivable and its boleto."""

    __tablename__ = "sms_credit_purchase"

    plan_id: Mapped[int] = fk("plan.id")
    credit_value_id: Mapped[int] = fk("sms_credit_value.id", ondelete="RESTRICT")
    receivable_id: Mapped[int] = fk("receivable.id", ondelete="RESTRICT")
    created_at: Mapped[dt.datetime] = created_at()
