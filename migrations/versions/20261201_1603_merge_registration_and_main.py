"""Joins this branch's revisions (1601, 1602) with main's head (1900).

Revision ID: 1603
Revises: 1602, 1900
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "1603"
down_revision: str | Sequence[str] | None = ("1602", "1900")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
