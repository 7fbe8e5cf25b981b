"""Services on a plan (Adicionar Serviço): one base row, one detail table per kind.

Joined-table inheritance: `service` holds what every kind shares (plan, kind, status), and each
kind's own table holds its fields, so uniqueness rules (a RADIUS login, an e-mail address, an IP)
are plain unique constraints on the kind's table.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
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
from domain.models.enums import (
    AntivirusStatus,
    BillingType,
    ServiceKind,
    ServiceStatus,
)


def _service_pk() -> Mapped[int]:
    return mapped_column(Integer, ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)


class Service(IdMixin, Base):
    """A service on a plan; `kind` says which detail table completes it."""

    __tablename__ = "service"
    __table_args__ = (
        Index("ix_service_plan_kind", "plan_id", "kind"),
        Index("ix_service_kind", "kind"),
        Index("ix_service_status", "status"),
    )

    plan_id: Mapped[int] = fk("plan.id")
    kind: Mapped[ServiceKind] = mapped_column(str_enum(ServiceKind, "service_kind"))
    status: Mapped[ServiceStatus] = mapped_column(
        str_enum(ServiceStatus, "service_status"), default=ServiceStatus.ACTIVE
    )
    created_at: Mapped[dt.datetime] = created_at()
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    __mapper_args__ = {"polymorphic_on": "kind"}


class EmailAccount(Service):
    """A mailbox: login@domain with a hashed password."""

    __tablename__ = "service_email"
    __table_args__ = (
        UniqueConstraint("login", "domain"),
        CheckConstraint("quota_mb > 0", name="quota_positive"),
    )

    id: Mapped[int] = _service_pk()
    login: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(253))
    password_hash: Mapped[str] = mapped_column(String(255))
    quota_mb: Mapped[int] = mapped_column(Integer, default=1024)

    __mapper_args__ = {"polymorphic_identity": ServiceKind.EMAIL}


class EmailAlias(Service):
    """An extra address that delivers to one of the plan's mailboxes."""

    __tablename__ = "service_email_alias"
    __table_args__ = (UniqueConstraint("login", "domain"),)

    id: Mapped[int] = _service_pk()
    email_id: Mapped[int] = fk("service_email.id")
    login: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(253))

    __mapper_args__ = {"polymorphic_identity": ServiceKind.EMAIL_ALIAS}


class RadiusLogin(Service):
    """A RADIUS login (login radius); unique across the ISP, optional fixed IP."""

    __tablename__ = "service_radius_login"

    id: Mapped[int] = _service_pk()
    login: Mapped[str] = mapped_column(String(64), unique=True)
    domain: Mapped[str | None] = mapped_column(String(253))
    password_hash: Mapped[str] = mapped_column(String(255))
    fixed_ip: Mapped[str | None] = mapped_column(String(39))

    __mapper_args__ = {"polymorphic_identity": ServiceKind.RADIUS_LOGIN}


class IpAssignment(Service):
    """A fixed address allocated from a pool; an address held now is held by one plan only."""

    __tablename__ = "service_ip"
    __table_args__ = (
        # Released addresses go back to the pool; only a held address must be unique.
        Index(
            "uq_service_ip_address_held",
            "address",
            unique=True,
            postgresql_where=text("released_at IS NULL"),
            sqlite_where=text("released_at IS NULL"),
        ),
    )

    id: Mapped[int] = _service_pk()
    pool_id: Mapped[int] = fk("ip_pool.id", ondelete="RESTRICT")
    address: Mapped[str] = mapped_column(String(39))
    released_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())

    __mapper_args__ = {"polymorphic_identity": ServiceKind.IP}


class VoiceTerminal(Service):
    """A phone number on the plan (terminal de voz)."""

    __tablename__ = "service_voice_terminal"

    id: Mapped[int] = _service_pk()
    phone_number: Mapped[str] = mapped_column(String(20), unique=True)
    sip_username: Mapped[str | None] = mapped_column(String(64), unique=True)

    __mapper_args__ = {"polymorphic_identity": ServiceKind.VOICE_TERMINAL}


class Onu(Service):
    """An optical network unit: serial, OLT and PON port."""

    __tablename__ = "service_onu"
    __table_args__ = (CheckConstraint("pon_port >= 0", name="port_not_negative"),)

    id: Mapped[int] = _service_pk()
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    olt: Mapped[str] = mapped_column(String(80))
    pon_port: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"polymorphic_identity": ServiceKind.ONU}


class HostedDomain(Service):
    """A domain hosted for the customer, optionally registered for a period."""

    __tablename__ = "service_domain"
    __table_args__ = (
        CheckConstraint(
            "registration_years IS NULL OR registration_years BETWEEN 1 AND 10",
            name="registration_years_range",
        ),
    )

    id: Mapped[int] = _service_pk()
    name: Mapped[str] = mapped_column(String(253), unique=True)
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    registration_years: Mapped[int | None] = mapped_column(Integer)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)

    __mapper_args__ = {"polymorphic_identity": ServiceKind.DOMAIN}


class Circuit(Service):
    """A dedicated link: identifier, bandwidth and its two endpoints."""

    __tablename__ = "service_circuit"
    __table_args__ = (CheckConstraint("bandwidth_kbps > 0", name="bandwidth_positive"),)

    id: Mapped[int] = _service_pk()
    identifier: Mapped[str] = mapped_column(String(60), unique=True)
    bandwidth_kbps: Mapped[int] = mapped_column(Integer)
    endpoint_a: Mapped[str] = mapped_column(String(200))
    endpoint_b: Mapped[str] = mapped_column(String(200))

    __mapper_args__ = {"polymorphic_identity": ServiceKind.CIRCUIT}


class ExtraService(Service):
    """An extra service from the catalog; viewable, never editable, cancellable."""

    __tablename__ = "service_extra"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("installments BETWEEN 1 AND 60", name="installments_range"),
    )

    id: Mapped[int] = _service_pk()
    definition_id: Mapped[int] = fk("extra_service_definition.id", ondelete="RESTRICT")
    value: Mapped[Decimal] = money()
    complement: Mapped[str | None] = mapped_column(String(200))
    start_date: Mapped[dt.date] = mapped_column(Date)
    billing_type: Mapped[BillingType] = mapped_column(str_enum(BillingType, "billing_type"))
    first_due_date: Mapped[dt.date] = mapped_column(Date)
    installments: Mapped[int] = mapped_column(Integer)
    contact_id: Mapped[int | None] = fk("contact.id", nullable=True, ondelete="SET NULL")
    notes: Mapped[str | None] = mapped_column(Text)

    __mapper_args__ = {"polymorphic_identity": ServiceKind.EXTRA_SERVICE}


class AntivirusLicense(Service):
    """An antivirus licence; active or suspended, deleted by ending the service."""

    __tablename__ = "service_antivirus"

    id: Mapped[int] = _service_pk()
    license_key: Mapped[str] = mapped_column(String(64), unique=True)
    license_status: Mapped[AntivirusStatus] = mapped_column(
        str_enum(AntivirusStatus, "antivirus_status")
    )
    seats: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"polymorphic_identity": ServiceKind.ANTIVIRUS}


# What people type is unique whatever its case (ADR 0113).
FOLDED_UNIQUE = (
    unique_folded(EmailAccount.login, EmailAccount.domain),
    unique_folded(EmailAlias.login, EmailAlias.domain),
    unique_folded(RadiusLogin.login),
    unique_folded(VoiceTerminal.sip_username),
    unique_folded(Onu.serial, upper=True),
    unique_folded(HostedDomain.name),
    unique_folded(Circuit.identifier, upper=True),
)

SERVICE_CLASSES: dict[ServiceKind, type[Service]] = {
    cls.__mapper__.polymorphic_identity: cls  # type: ignore[misc]
    for cls in (
        EmailAccount,
        EmailAlias,
        RadiusLogin,
        IpAssignment,
        VoiceTerminal,
        Onu,
        HostedDomain,
        Circuit,
        ExtraService,
        AntivirusLicense,
    )
}
