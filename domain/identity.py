"""Who is acting: the identity every domain read and action receives."""

from __future__ import annotations

import enum
import functools
import hashlib
from dataclasses import dataclass, field


class Role(enum.Enum):
    STAFF = "STAFF"
    SUBSCRIBER = "SUBSCRIBER"
    RESELLER = "RESELLER"
    # A voice reseller's own subscriber, acting in its panel within what the reseller granted.
    VOICE_SUBSCRIBER = "VOICE_SUBSCRIBER"


class Permission(enum.Enum):
    """Named staff permissions (the manuals name "TV packages")."""

    TV_PACKAGES = "TV_PACKAGES"
    BILLING = "BILLING"
    PLAN_ADMIN = "PLAN_ADMIN"
    CUSTOMER_ADMIN = "CUSTOMER_ADMIN"


@dataclass(frozen=True)
class Identity:
    """An authenticated caller; `subject` names it in the audit log."""

    subject: str
    role: Role
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    customer_id: int | None = None  # set for subscribers
    reseller_id: int | None = None  # set for resellers
    voice_subscriber_id: int | None = None  # set for voice subscribers
    # Who vouched for it: a JWT's `iss`, or the API key's id (None for built-in identities).
    issuer: str | None = None
    api_key_id: int | None = None

    @functools.cached_property
    def caller_key(self) -> str:
        """The whole identity as one opaque key (role, ids, subject, issuer, API key), for
        what is kept per caller: two callers that share a `sub` never share a key. Worked out
        once per identity (a request asks for it several times)."""
        parts = (
            self.role.value,
            self.customer_id,
            self.reseller_id,
            self.voice_subscriber_id,
            self.subject,
            self.issuer,
            self.api_key_id,
        )
        return hashlib.sha256(repr(parts).encode()).hexdigest()

    def has(self, permission: Permission) -> bool:
        return self.role is Role.STAFF and permission in self.permissions

    @classmethod
    def staff(cls, subject: str, *permissions: Permission) -> Identity:
        return cls(subject=subject, role=Role.STAFF, permissions=frozenset(permissions))


# Who anonymous requests act as when GATEWAY_DEV_IDENTITY=staff (development only), and the
# staff identity tests use when the caller does not matter.
DEVELOPMENT_STAFF = Identity.staff("development", *Permission)
