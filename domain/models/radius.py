"""FreeRADIUS's own tables that the gateway reads or configures: `radpostauth` (every
authentication attempt and its answer) and `nas` (the network access servers, with where their
RFC 5176 dynamic-authorization port listens)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from domain.models.base import Base, IdMixin, UtcDateTime


class RadPostAuth(Base):
    """One authentication attempt, shaped like FreeRADIUS's `radpostauth` so it can write here.

    `pass` is kept for the shape but the gateway never stores or shows it (FreeRADIUS writes it
    only when configured to; ours is not).
    """

    __tablename__ = "radpostauth"
    __table_args__ = (Index("ix_radpostauth_username_authdate", "username", "authdate"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    username: Mapped[str] = mapped_column(String(64))
    pass_: Mapped[str | None] = mapped_column("pass", String(64))
    reply: Mapped[str] = mapped_column(String(32))  # Access-Accept or Access-Reject
    calledstationid: Mapped[str | None] = mapped_column(String(50))
    callingstationid: Mapped[str | None] = mapped_column(String(50))
    authdate: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class Nas(IdMixin, Base):
    """A network access server (FreeRADIUS's `nas` table) and its dynamic-authorization
    (CoA / Disconnect) endpoint."""

    __tablename__ = "nas"

    nasname: Mapped[str] = mapped_column(String(128), unique=True)  # its NAS-IP-Address
    shortname: Mapped[str | None] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(30), default="other")
    secret: Mapped[str] = mapped_column(String(60))
    description: Mapped[str | None] = mapped_column(String(200))
    # Where Disconnect-Requests go (RFC 5176: UDP 3799 by default); a management address may
    # differ from the NAS-IP-Address the sessions carry.
    coa_host: Mapped[str] = mapped_column(String(128))
    coa_port: Mapped[int] = mapped_column(Integer, default=3799)
