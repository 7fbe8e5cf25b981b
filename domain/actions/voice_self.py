"""What a voice subscriber does in its own panel, within what its reseller granted (ADR 0095).

The reseller chooses, per subscriber, which of its panel's actions the subscriber may take
(`VoicePermission`, set with setVoicePermissions). Each action here is also open to the
subscriber's reseller (and to staff holding CUSTOMER_ADMIN); the voice subscriber may take it
on its own rows only, and only while the permission is granted. The session already hides
every other subscriber's rows, so someone else's line is simply not found.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from domain import credentials
from domain import models as m
from domain.actions import audit
from domain.actions.plan_common import require
from domain.actions.voice import EXTENSION, check_credentials
from domain.errors import NotAllowed, NotFound, RuleViolation, ValidationFailed
from domain.i18n import _
from domain.identity import Identity, Permission, Role
from domain.models.enums import CallTermination, VoiceLineStatus, VoicePermission
from domain.reads import portal as portal_reads
from domain.reads import voice as reads

MIN_IP_LINES, MAX_IP_LINES = 1, 100


def _may_act_for_subscribers(actor: Identity) -> None:
    """Refuses callers who never act on voice subscribers' rows (the ISP's own subscribers)."""
    if actor.role is Role.SUBSCRIBER:
        raise NotAllowed(_("Only a voice reseller, its subscriber or staff acts on voice lines."))
    if actor.role is Role.STAFF:
        require(actor, Permission.CUSTOMER_ADMIN)


async def require_granted(
    session: AsyncSession, actor: Identity, subscriber_id: int, permission: VoicePermission
) -> None:
    """A voice subscriber acting on `subscriber_id`'s rows: they must be its own, and its
    reseller must have granted it `permission`. Other roles pass (their checks are elsewhere)."""
    if actor.role is not Role.VOICE_SUBSCRIBER:
        return
    if actor.voice_subscriber_id != subscriber_id:
        # Unreachable through a scoped session (it sees no other subscriber's rows).
        raise NotFound("VoiceSubscriber", subscriber_id)
    granted = {row.permission for row in await reads.permissions(session, subscriber_id)}
    if permission not in granted:
        raise NotAllowed(
            _(
                "Your reseller has not granted you the {permission_name} permission.",
                permission_name=permission.name,
            ),
            permission=permission.name,
        )


async def set_simultaneous_ip_lines(
    session: AsyncSession, *, line_id: int, lines: int, actor: Identity
) -> m.VoiceLine:
    """Sets how many simultaneous IP calls a line carries (manual 004: "linhas simultâneas")."""
    _may_act_for_subscribers(actor)
    line = await session.get(m.VoiceLine, line_id)
    if line is None:
        raise NotFound("VoiceLine", line_id)
    await require_granted(
        session, actor, line.subscriber_id, VoicePermission.CHANGE_SIMULTANEOUS_IP_LINES
    )
    if not MIN_IP_LINES <= lines <= MAX_IP_LINES:
        raise ValidationFailed.one(
            "lines",
            _(
                "must be between {min_ip_lines} and {max_ip_lines}",
                min_ip_lines=MIN_IP_LINES,
                max_ip_lines=MAX_IP_LINES,
            ),
        )
    before = line.simultaneous_ip_lines
    line.simultaneous_ip_lines = lines
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="setSimultaneousIpLines",
        target_type="VoiceLine",
        target_id=line.id,
        before={"simultaneous_ip_lines": before},
        after={"simultaneous_ip_lines": lines},
    )
    return line


async def change_own_panel_password(
    session: AsyncSession, *, current_password: str, new_password: str, actor: Identity
) -> m.VoiceSubscriber:
    """A voice subscriber changes its own panel password, proving it knows the current one.

    Its reseller sets passwords with setVoicePanelCredentials; this is the subscriber's own
    action, allowed while the reseller grants CHANGE_PANEL_PASSWORD.
    """
    if actor.role is not Role.VOICE_SUBSCRIBER:
        raise NotAllowed(_("Only a voice subscriber changes its own panel password."))
    subscriber_id = actor.voice_subscriber_id or -1
    # Locked: a second change at the same moment waits, then proves the password it knows
    # against the one the first change left.
    subscriber = await session.get(
        m.VoiceSubscriber, subscriber_id, with_for_update=True, populate_existing=True
    )
    if subscriber is None:
        raise NotFound("VoiceSubscriber", subscriber_id)
    await require_granted(session, actor, subscriber.id, VoicePermission.CHANGE_PANEL_PASSWORD)
    if not await credentials.verify_password_async(
        subscriber.panel_password_hash, current_password
    ):
        raise ValidationFailed.one("currentPassword", _("is not the panel's current password"))
    __, password_hash, __ = await check_credentials(
        session,
        subscriber.panel_username,
        new_password,
        email=subscriber.email,
        but=subscriber.id,
        password_path="newPassword",
    )
    subscriber.panel_password_hash = password_hash
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="changeVoicePanelPassword",
        target_type="VoiceSubscriber",
        target_id=subscriber.id,
        before=None,
        after={"password_changed": True},
    )
    return subscriber


async def line_call_statement(
    session: AsyncSession,
    *,
    line_id: int,
    start: dt.datetime,
    end: dt.datetime,
    terminations: Sequence[CallTermination] | None,
    actor: Identity,
) -> tuple[list[m.CallRecord], list[portal_reads.CallTotals]]:
    """A voice line's calls in the period (manual 004: "extrato de ligações"): its reseller's,
    staff's, or the voice subscriber's own while granted VIEW_CALL_RECORDS."""
    if actor.role is Role.SUBSCRIBER:
        raise NotFound("VoiceLine", line_id)  # the ISP's subscribers see no voice lines
    line = await session.get(m.VoiceLine, line_id)
    if line is None:
        raise NotFound("VoiceLine", line_id)
    await require_granted(session, actor, line.subscriber_id, VoicePermission.VIEW_CALL_RECORDS)
    return await portal_reads.line_call_statement(session, line.id, start, end, terminations)


# ---- extensions (ramais), manual 004 "Cadastro e gerência de linhas/ramais" (ADR 0116) ----

MAX_EXTENSION_NAME = 60
LINE_CANCELLED = "VOICE_LINE_CANCELLED"


def _extension_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise ValidationFailed.one("name", _("must not be blank"))
    if len(name) > MAX_EXTENSION_NAME:
        raise ValidationFailed.one(
            "name",
            _(
                "must be at most {max_extension_name} characters",
                max_extension_name=MAX_EXTENSION_NAME,
            ),
        )
    return name


async def _extension_for_change(
    session: AsyncSession, extension_id: int, actor: Identity
) -> m.VoiceExtension:
    """The extension, if the caller may manage it now: not found, then the grant."""
    _may_act_for_subscribers(actor)
    row = await session.get(m.VoiceExtension, extension_id)
    if row is None:
        raise NotFound("VoiceExtension", extension_id)
    await require_granted(session, actor, row.subscriber_id, VoicePermission.MANAGE_EXTENSIONS)
    return row


def _extension_state(row: m.VoiceExtension) -> dict[str, object]:
    return {"line_id": row.line_id, "extension": row.extension, "name": row.name}


async def add_extension(
    session: AsyncSession, *, line_id: int, extension: str, name: str, actor: Identity
) -> m.VoiceExtension:
    """Adds an extension to a line: its reseller, staff, or the voice subscriber itself while
    granted MANAGE_EXTENSIONS. The number is unique among the subscriber's extensions, its
    lines' own included."""
    _may_act_for_subscribers(actor)
    line = await session.get(m.VoiceLine, line_id)
    if line is None:
        raise NotFound("VoiceLine", line_id)
    await require_granted(session, actor, line.subscriber_id, VoicePermission.MANAGE_EXTENSIONS)
    number = extension.strip()
    if not EXTENSION.match(number):
        raise ValidationFailed.one("extension", _("must be 2 to 10 digits"))
    label = _extension_name(name)
    if line.status is VoiceLineStatus.CANCELLED:
        raise RuleViolation(
            LINE_CANCELLED,
            _("Line {number} is cancelled: it takes no extensions.", number=line.number),
        )
    if await reads.extension_taken(session, line.subscriber_id, number):
        raise ValidationFailed.one(
            "extension", _("{number} is already an extension of this subscriber", number=number)
        )
    row = m.VoiceExtension(
        subscriber_id=line.subscriber_id, line_id=line.id, extension=number, name=label
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="addVoiceExtension",
        target_type="VoiceExtension",
        target_id=row.id,
        before=None,
        after=_extension_state(row),
    )
    return row


async def rename_extension(
    session: AsyncSession, *, extension_id: int, name: str, actor: Identity
) -> m.VoiceExtension:
    """Gives an extension a new name (what its calls show inside the PABX)."""
    row = await _extension_for_change(session, extension_id, actor)
    label = _extension_name(name)
    before = _extension_state(row)
    row.name = label
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="renameVoiceExtension",
        target_type="VoiceExtension",
        target_id=row.id,
        before=before,
        after=_extension_state(row),
    )
    return row


async def remove_extension(
    session: AsyncSession, *, extension_id: int, actor: Identity
) -> m.VoiceLine:
    """Removes an extension; its number is free again. Returns the line it belonged to."""
    row = await _extension_for_change(session, extension_id, actor)
    line = await session.get(m.VoiceLine, row.line_id)
    assert line is not None  # an extension's line exists (foreign key)
    before = _extension_state(row)
    await session.delete(row)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="removeVoiceExtension",
        target_type="VoiceExtension",
        target_id=extension_id,
        before=before,
        after=None,
    )
    return line
