"""Joins the plan-lifecycle (0401) and access-records (0801) revisions into one head.

Revision ID: 0900
Revises: 0401, 0801
Create Date: 2026-11-24
"""

from collections.abc import Sequence

revision: str = "0900"
down_revision: str | Sequence[str] | None = ("0401", "0801")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
