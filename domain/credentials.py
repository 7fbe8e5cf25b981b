"""Storing service passwords: Argon2id hashes (argon2-cffi), never the password itself.

Hashing costs tens of milliseconds of CPU on purpose, so the async helpers run it in a worker
thread and the event loop keeps serving other requests meanwhile (ADR 0050).
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# Rows written by the seed carry this prefix instead of a hash: no password matches them.
PLACEHOLDER_PREFIX = "seed-placeholder$"

# argon2-cffi's defaults are RFC 9106's "low memory" profile (Argon2id, t=3, m=64 MiB, p=4).
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The encoded Argon2id hash of `password` (algorithm, parameters and salt included)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether `password` matches `stored_hash`; placeholders and malformed hashes never match."""
    if not stored_hash or stored_hash.startswith(PLACEHOLDER_PREFIX):
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether a stored hash was made with weaker parameters than today's (or is a placeholder)."""
    if stored_hash.startswith(PLACEHOLDER_PREFIX):
        return True
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(stored_hash: str, password: str) -> bool:
    return await asyncio.to_thread(verify_password, stored_hash, password)
