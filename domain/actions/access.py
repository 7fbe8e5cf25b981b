"""Changing the gateway's access records: API keys, persisted documents, idempotency records."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.actions import audit
from domain.errors import NotFound, ValidationFailed
from domain.i18n import _
from domain.identity import Identity, Permission, Role
from domain.models import ApiKey, IdempotencyRecord, PersistedDocument
from domain.models.base import utcnow
from domain.rules.keys import parse_key

API_KEY_PREFIX = "gk_"
PENDING = 0  # the status of an idempotency record whose mutation has not committed yet


def secret_hash(secret: str) -> str:
    """SHA-256 of an API key: the key is 256 random bits, so a fast hash is enough (ADR 0080)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    """A key as created: `secret` is shown once and never stored."""

    key: ApiKey
    secret: str


async def create_api_key(
    session: AsyncSession,
    *,
    name: str,
    role: Role,
    permissions: Iterable[Permission] = (),
    customer_id: int | None = None,
    reseller_id: int | None = None,
    actor: Identity,
) -> NewApiKey:
    """A new API key for a service account; the caller shows `secret` to its owner once."""
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationFailed.one("name", _("must be 1 to 120 characters"))
    if role is Role.VOICE_SUBSCRIBER:
        # A voice subscriber is a person in its panel, signing in with a JWT (ADR 0094).
        raise ValidationFailed.one(
            "role", _("voice subscribers authenticate with tokens, not keys")
        )
    permissions = sorted({p.name for p in permissions})
    if permissions and role is not Role.STAFF:
        raise ValidationFailed.one("permissions", _("only staff keys carry permissions"))
    if (role is Role.SUBSCRIBER) != (customer_id is not None):
        raise ValidationFailed.one("customerId", _("a subscriber key needs exactly its customer"))
    if (role is Role.RESELLER) != (reseller_id is not None):
        raise ValidationFailed.one("resellerId", _("a reseller key needs exactly its reseller"))
    prefix = f"{API_KEY_PREFIX}{secrets.token_hex(4)}"
    secret = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        name=name,
        prefix=prefix,
        secret_sha256=secret_hash(secret),
        role=role,
        permissions=permissions,
        customer_id=customer_id,
        reseller_id=reseller_id,
    )
    session.add(key)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="createApiKey",
        target_type="ApiKey",
        target_id=key.id,
        before=None,
        after={"name": name, "prefix": prefix, "role": role.name, "permissions": permissions},
    )
    return NewApiKey(key=key, secret=secret)


async def revoke_api_key(session: AsyncSession, *, key: str, actor: Identity) -> ApiKey:
    """Revokes the key named by its id or prefix; revoking twice keeps the first date."""
    condition = ApiKey.prefix == key
    pk = parse_key(key)
    if pk is not None:
        condition = or_(condition, ApiKey.id == pk)
    row = await session.scalar(select(ApiKey).where(condition))
    if row is None:
        raise NotFound("ApiKey", key)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        await session.flush()
        await audit.record(
            session,
            actor=actor,
            action="revokeApiKey",
            target_type="ApiKey",
            target_id=row.id,
            before={"revoked": False},
            after={"revoked": True},
        )
    return row


def document_hash(body: str) -> str:
    """The APQ id of a document: SHA-256 of its exact text, as Apollo computes it."""
    return hashlib.sha256(body.encode()).hexdigest()


async def save_document(session: AsyncSession, *, body: str, registered: bool) -> str:
    """Stores a document under its hash and returns the hash; registering an already known
    document trusts it. One statement (see `_upsert_document`)."""
    update = {"registered": True} if registered else {}
    return await _upsert_document(session, body=body, registered=registered, update=update)


async def keep_apq_document(session: AsyncSession, *, body: str) -> None:
    """Keeps a text an APQ client sent under its hash, or starts its time to live over when it
    is kept already; a registered document stays as it is."""
    await _upsert_document(session, body=body, registered=False, update={"created_at": None})


async def _upsert_document(
    session: AsyncSession, *, body: str, registered: bool, update: dict[str, object]
) -> str:
    """Inserts the document, or sets `update`'s columns (None: the inserted row's value) on
    the one kept under its hash unless it is registered. One statement, which takes SQLite's
    write lock first (a read before it could not upgrade once another writer committed: the
    SQLite file answers "database is locked" at once), and which a twin sent at the same
    moment cannot fail on the primary key."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    sha = document_hash(body)
    statement = insert(PersistedDocument).values(
        sha256=sha, body=body, registered=registered, created_at=utcnow()
    )
    if update:
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=[PersistedDocument.sha256],
            set_={k: excluded[k] if v is None else v for k, v in update.items()},
            where=PersistedDocument.registered.is_(False),
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=[PersistedDocument.sha256])
    await session.execute(statement)
    return sha


async def forget_documents(session: AsyncSession, *, older_than: dt.datetime) -> int:
    """Deletes APQ texts stored before `older_than`; registered documents stay. How many."""
    result = await session.execute(
        delete(PersistedDocument).where(
            PersistedDocument.registered.is_(False), PersistedDocument.created_at < older_than
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def claim_idempotency_key(
    session: AsyncSession, *, subject: str, key: str, request_sha256: str
) -> None:
    """Inserts a pending record (status 0) for (subject, key); a twin's insert fails on the
    primary key (IntegrityError), so only one request runs the mutation."""
    session.add(
        IdempotencyRecord(
            subject=subject,
            key=key,
            request_sha256=request_sha256,
            status=PENDING,
            media_type="",
            body=b"",
        )
    )
    await session.flush()


async def complete_idempotency_record(
    session: AsyncSession, *, subject: str, key: str, status: int, media_type: str, body: bytes
) -> None:
    """Keeps the answer, in the mutation's own transaction: it is there exactly when the
    change is."""
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.subject == subject, IdempotencyRecord.key == key)
        .values(status=status, media_type=media_type, body=body)
    )


async def release_idempotency_key(session: AsyncSession, *, subject: str, key: str) -> None:
    """Drops a pending claim whose mutation did not commit, so that a retry may run it."""
    await session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.subject == subject,
            IdempotencyRecord.key == key,
            IdempotencyRecord.status == PENDING,
        )
    )


async def forget_idempotency_records(session: AsyncSession, *, older_than: dt.datetime) -> int:
    """Deletes answers kept longer than their time to live; returns how many."""
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < older_than)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
