"""The catalog the ISP configures: offers, extra services, TV, templates, billing, staff."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdMixin, fk, money, str_enum
from domain.models.enums import (
    BillingType,
    InactiveReason,
    PaymentMethod,
    PlanStatus,
    RegistrationCondition,
    ServiceKind,
    StartDateRule,
)


class PlanOffer(IdMixin, Base):
    """A plan the ISP sells (plano do catálogo): price, speeds and what it allows."""

    __tablename__ = "plan_offer"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("download_kbps > 0 AND upload_kbps > 0", name="speeds_positive"),
        CheckConstraint("initial_status <> 'CANCELLED'", name="initial_status_not_cancelled"),
        CheckConstraint(
            "(initial_status = 'INACTIVE') = (initial_inactive_reason IS NOT NULL)",
            name="initial_reason_iff_inactive",
        ),
        CheckConstraint(
            "NOT is_tv_offer OR default_tv_package_id IS NOT NULL", name="tv_offer_has_package"
        ),
    )

    name: Mapped[str] = mapped_column(String(120), unique=True)
    price: Mapped[Decimal] = money()
    download_kbps: Mapped[int] = mapped_column(Integer)
    upload_kbps: Mapped[int] = mapped_column(Integer)
    requires_domain: Mapped[bool] = mapped_column(Boolean, default=False)
    is_tv_offer: Mapped[bool] = mapped_column(Boolean, default=False)
    default_tv_package_id: Mapped[int | None] = fk(
        "tv_package.id", nullable=True, ondelete="RESTRICT"
    )
    allows_speed_restoration: Mapped[bool] = mapped_column(Boolean, default=False)
    initial_status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus, "plan_status"))
    initial_inactive_reason: Mapped[InactiveReason | None] = mapped_column(
        str_enum(InactiveReason, "inactive_reason")
    )
    ip_pool_id: Mapped[int | None] = fk("ip_pool.id", nullable=True, ondelete="RESTRICT")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PlanOfferServiceKind(Base):
    """A kind of service an offer allows on its plans (Adicionar Serviço menu)."""

    __tablename__ = "plan_offer_service_kind"

    offer_id: Mapped[int] = fk("plan_offer.id", primary_key=True)
    kind: Mapped[ServiceKind] = mapped_column(
        str_enum(ServiceKind, "service_kind"), primary_key=True
    )


class ExtraServiceDefinition(IdMixin, Base):
    """An extra service the ISP offers (serviço extra, configured in the desktop module)."""

    __tablename__ = "extra_service_definition"
    __table_args__ = (CheckConstraint("default_value >= 0", name="value_not_negative"),)

    name: Mapped[str] = mapped_column(String(120), unique=True)
    default_value: Mapped[Decimal] = money()
    billing_type: Mapped[BillingType] = mapped_column(str_enum(BillingType, "billing_type"))
    start_date_rule: Mapped[StartDateRule] = mapped_column(
        str_enum(StartDateRule, "start_date_rule")
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TvPackage(IdMixin, Base):
    """A TV package (pacote de TV): the offer's default one, or an extra one sold apart."""

    __tablename__ = "tv_package"
    __table_args__ = (CheckConstraint("value >= 0", name="value_not_negative"),)

    name: Mapped[str] = mapped_column(String(120), unique=True)
    value: Mapped[Decimal] = money()
    is_extra: Mapped[bool] = mapped_column(Boolean, default=False)
    platform_code: Mapped[str] = mapped_column(String(50), unique=True)


class Channel(IdMixin, Base):
    """A TV channel: name, number on the grid and family (news, sports, kids...)."""

    __tablename__ = "channel"

    name: Mapped[str] = mapped_column(String(120))
    number: Mapped[int] = mapped_column(Integer, unique=True)
    family: Mapped[str] = mapped_column(String(60))


class TvPackageChannel(Base):
    """Membership of a channel in a package."""

    __tablename__ = "tv_package_channel"

    package_id: Mapped[int] = fk("tv_package.id", primary_key=True)
    channel_id: Mapped[int] = fk("channel.id", primary_key=True)


class TvPointLocation(IdMixin, Base):
    """Where a set-top box sits in the customer's premises (local do ponto)."""

    __tablename__ = "tv_point_location"

    name: Mapped[str] = mapped_column(String(80), unique=True)


class ContractTemplate(IdMixin, Base):
    """A contract template (modelo) that printable contracts are rendered from."""

    __tablename__ = "contract_template"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class BillingForm(IdMixin, Base):
    """A billing form (forma de cobrança) and the restoration limits it sets."""

    __tablename__ = "billing_form"
    __table_args__ = (
        CheckConstraint("closing_day BETWEEN 1 AND 28", name="closing_day_range"),
        CheckConstraint("restoration_min_interval_days >= 0", name="interval_not_negative"),
        CheckConstraint("restoration_max_days_overdue >= 0", name="overdue_not_negative"),
    )

    name: Mapped[str] = mapped_column(String(120), unique=True)
    payment_method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, "payment_method"))
    closing_day: Mapped[int] = mapped_column(Integer)
    restoration_min_interval_days: Mapped[int] = mapped_column(Integer)
    restoration_max_days_overdue: Mapped[int] = mapped_column(Integer)


class Bank(IdMixin, Base):
    """A bank, for bank-debit billing details."""

    __tablename__ = "bank"
    __table_args__ = (CheckConstraint("length(code) = 3", name="code_length"),)

    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class IpPool(IdMixin, Base):
    """A block of addresses that fixed IPs are allocated from."""

    __tablename__ = "ip_pool"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    network: Mapped[str] = mapped_column(String(43))  # CIDR, IPv4 or IPv6
    gateway: Mapped[str | None] = mapped_column(String(39))


class Role(IdMixin, Base):
    """A staff role (cargo) that an installation can be scheduled for."""

    __tablename__ = "role"

    name: Mapped[str] = mapped_column(String(80), unique=True)


class Technician(IdMixin, Base):
    """A field technician who carries out installations."""

    __tablename__ = "technician"

    name: Mapped[str] = mapped_column(String(120))
    role_id: Mapped[int] = fk("role.id", ondelete="RESTRICT")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SystemVariable(Base):
    """A system setting, e.g. auto-generate login for a new customer plan and its pattern."""

    __tablename__ = "system_variable"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)


class RegistrationRule(IdMixin, Base):
    """A rule (regra de cadastro) checked when a plan is finalized; a failure raises an alert."""

    __tablename__ = "registration_rule"
    __table_args__ = (UniqueConstraint("condition"),)

    name: Mapped[str] = mapped_column(String(120), unique=True)
    condition: Mapped[RegistrationCondition] = mapped_column(
        str_enum(RegistrationCondition, "registration_condition")
    )
    message: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SmsCreditValue(IdMixin, Base):
    """A configured SMS credit package the subscriber portal can sell."""

    __tablename__ = "sms_credit_value"
    __table_args__ = (
        CheckConstraint("credits > 0", name="credits_positive"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    credits: Mapped[int] = mapped_column(Integer, unique=True)
    price: Mapped[Decimal] = money()
