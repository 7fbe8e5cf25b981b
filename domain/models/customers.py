"""Customers (clientes / assinantes), their addresses, contacts and extra fields."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from domain.models.base import Base, IdMixin, UtcDateTime, created_at, fk, str_enum
from domain.models.enums import CustomerKind, ExtraFieldType, PhoneKind

if TYPE_CHECKING:
    from domain.models.plans import Plan


class Customer(IdMixin, Base):
    """A person (CPF) or company (CNPJ) that holds plans with the ISP."""

    __tablename__ = "customer"
    __table_args__ = (
        # CPF has 11 digits, CNPJ 14 characters (alphanumeric since July 2026), stored without
        # punctuation and in upper case; the check digits are verified in domain.rules.documents.
        CheckConstraint(
            "(kind = 'PERSON' AND length(document) = 11)"
            " OR (kind = 'COMPANY' AND length(document) = 14)",
            name="document_length",
        ),
        Index("ix_customer_name", "name"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    kind: Mapped[CustomerKind] = mapped_column(str_enum(CustomerKind, "customer_kind"))
    name: Mapped[str] = mapped_column(String(200))
    trade_name: Mapped[str | None] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(String(14), unique=True)
    # The principal e-mail, landline and mobile: the first of `emails` and of each kind of
    # `phones`, kept by domain.actions.customers for the readers that want one (boletos, TV).
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    mobile_phone: Mapped[str | None] = mapped_column(String(20))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)  # birth, or a company's foundation
    state_registration: Mapped[str | None] = mapped_column(String(20))  # inscrição estadual
    created_at: Mapped[dt.datetime] = created_at()
    # Set when the LGPD anonymization replaced the personal data (ADR 0161).
    anonymized_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    __mapper_args__ = {"version_id_col": version}

    emails: Mapped[list[CustomerEmail]] = relationship(back_populates="customer", lazy="raise")
    phones: Mapped[list[CustomerPhone]] = relationship(back_populates="customer", lazy="raise")
    addresses: Mapped[list[Address]] = relationship(back_populates="customer", lazy="raise")
    contacts: Mapped[list[Contact]] = relationship(back_populates="customer", lazy="raise")
    plans: Mapped[list[Plan]] = relationship(back_populates="customer", lazy="raise")


class CustomerEmail(IdMixin, Base):
    """One of a customer's e-mail addresses, in the order the customer gave them."""

    __tablename__ = "customer_email"
    __table_args__ = (UniqueConstraint("customer_id", "address"),)

    customer_id: Mapped[int] = fk("customer.id")
    address: Mapped[str] = mapped_column(String(254))
    position: Mapped[int] = mapped_column(Integer)

    customer: Mapped[Customer] = relationship(back_populates="emails", lazy="raise")


class CustomerPhone(IdMixin, Base):
    """One of a customer's phone numbers (landline or mobile), in the order given."""

    __tablename__ = "customer_phone"
    __table_args__ = (UniqueConstraint("customer_id", "number"),)

    customer_id: Mapped[int] = fk("customer.id")
    kind: Mapped[PhoneKind] = mapped_column(str_enum(PhoneKind, "phone_kind"))
    number: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer)

    customer: Mapped[Customer] = relationship(back_populates="phones", lazy="raise")


class Address(IdMixin, Base):
    """A postal address of a customer, found by CEP and completed by hand."""

    __tablename__ = "address"
    __table_args__ = (
        CheckConstraint("length(cep) = 8", name="cep_length"),
        CheckConstraint("length(state) = 2", name="state_length"),
        Index("ix_address_city", "city"),
    )

    customer_id: Mapped[int] = fk("customer.id")
    cep: Mapped[str] = mapped_column(String(8))
    street: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(20))
    complement: Mapped[str | None] = mapped_column(String(100))
    district: Mapped[str] = mapped_column(String(100))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[dt.datetime] = created_at()

    customer: Mapped[Customer] = relationship(back_populates="addresses", lazy="raise")


class Contact(IdMixin, Base):
    """A person linked to a customer: follows installations, is the contact of extra services."""

    __tablename__ = "contact"

    customer_id: Mapped[int] = fk("customer.id")
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str | None] = mapped_column(String(100))

    customer: Mapped[Customer] = relationship(back_populates="contacts", lazy="raise")


class ExtraField(IdMixin, Base):
    """A typed key/value on a customer or a plan (campo extra); integrations write some."""

    __tablename__ = "extra_field"
    __table_args__ = (
        CheckConstraint("(customer_id IS NULL) <> (plan_id IS NULL)", name="exactly_one_owner"),
        UniqueConstraint("customer_id", "name"),
        UniqueConstraint("plan_id", "name"),
    )

    customer_id: Mapped[int | None] = fk("customer.id", nullable=True)
    plan_id: Mapped[int | None] = fk("plan.id", nullable=True)
    name: Mapped[str] = mapped_column(String(100))
    value_type: Mapped[ExtraFieldType] = mapped_column(str_enum(ExtraFieldType, "extra_field_type"))
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = created_at()
