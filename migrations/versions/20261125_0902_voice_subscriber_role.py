"""Widens api_key.role for the VOICE_SUBSCRIBER role (ADR 0094).

The role column stores the member's name in a VARCHAR sized to the longest one; the new member
is longer. No key may hold it (voice subscribers sign in with tokens), but the column's type
and check follow the enum, as the models declare it.

Revision ID: 0902
Revises: 0601
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0902"
down_revision: str | Sequence[str] | None = "0601"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("STAFF", "SUBSCRIBER", "RESELLER")
NEW = (*OLD, "VOICE_SUBSCRIBER")


def _check(names: Sequence[str]) -> str:
    return "role IN (" + ", ".join(f"'{n}'" for n in names) + ")"


def upgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        batch.drop_constraint(op.f("ck_api_key_identity_role"), type_="check")
        batch.alter_column("role", existing_type=sa.String(length=10), type_=sa.String(length=16))
        batch.create_check_constraint("identity_role", _check(NEW))


def downgrade() -> None:
    with op.batch_alter_table("api_key") as batch:
        batch.drop_constraint(op.f("ck_api_key_identity_role"), type_="check")
        batch.alter_column("role", existing_type=sa.String(length=16), type_=sa.String(length=10))
        batch.create_check_constraint("identity_role", _check(OLD))
