"""Joins the branches of issues 14 (voice terminations, folded identifiers) and 18 (report
indexes), which both grew from 0902.

Revision ID: 1900
Revises: 1102, 1501
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "1900"
down_revision: str | Sequence[str] | None = ("1102", "1501")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
