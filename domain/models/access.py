"""The gateway's own records of access: API keys, trusted documents and idempotency keys."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, CheckConstraint, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from domain.identity import Role
from domain.models.base import Base, IdMixin, UtcDateTime, created_at, fk, str_enum


class ApiKey(IdMixin, Base):
    """A service account's API key; only the SHA-256 of the secret is stored."""

    __tablename__ = "api_key"
    __table_args__ = (
        CheckConstraint(
            "(role = 'SUBSCRIBER') = (customer_id IS NOT NULL)", name="customer_iff_subscriber"
        ),
        CheckConstraint(
            "(role = 'RESELLER') = (reseller_id IS NOT NULL)", name="reseller_iff_reseller"
        ),
    )

    name: Mapped[str] = mapped_column(String(120))
    # The public start of the key ("gk_1a2b3c4d"): shown in listings, names the key in logs.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "identity_role"))
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    customer_id: Mapped[int | None] = fk("customer.id", nullable=True)
    reseller_id: Mapped[int | None] = fk("voice_reseller.id", nullable=True)
    created_at: Mapped[dt.datetime] = created_at()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())


class PersistedDocument(Base):
    """A GraphQL document known by its SHA-256: registered (trusted) or sent once by APQ."""

    __tablename__ = "persisted_document"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    registered: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = created_at()


class IdempotencyRecord(Base):
    """The first answer to a mutation sent with an Idempotency-Key, kept for its retries.

    Claimed (status 0) before the mutation runs, completed in the mutation's own transaction:
    a completed record exists exactly when the change was committed.
    """

    __tablename__ = "idempotency_record"

    # The caller's whole identity (Identity.caller_key), not the token's `sub` alone.
    subject: Mapped[str] = mapped_column(String(160), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    media_type: Mapped[str] = mapped_column(String(80))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = created_at()
