"""Writing the audit log, in the same transaction as the change it records."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain import statements
from domain.identity import Identity
from domain.models import AuditLog
from domain.models.base import utcnow

_COLUMNS = ("actor", "action", "target_type", "target_id", "before", "after", "at")


def _insert() -> Any:
    return insert(AuditLog).values({name: bindparam(name) for name in _COLUMNS})


async def record(
    session: AsyncSession,
    *,
    actor: Identity,
    action: str,
    target_type: str,
    target_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Inserts the row at once, on the session's connection (domain.statements): nothing
    references it, and it is undone with the action when the action fails."""
    await statements.run(
        session,
        "audit.record",
        _insert,
        {
            "actor": actor.subject,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "before": before,
            "after": after,
            "at": utcnow(),
        },
    )
