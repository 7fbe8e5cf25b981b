"""Hashing the passwords of logins and mailboxes: Argon2id (argon2-cffi), never stored in clear."""

from __future__ import annotations

from argon2 import PasswordHasher

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """An Argon2id hash of `password` in the PHC string format (salt and parameters inside)."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except Exception:  # argon2 raises a family of errors for mismatch and bad hashes alike
        return False
