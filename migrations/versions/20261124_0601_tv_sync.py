"""TV sync: outbox partition key, TV point platform data

Revision ID: 0601
Revises: 0900
Create Date: 2026-11-24 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0601"
down_revision: str | None = "0900"  # after the other issue branches
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN works on both databases; batch mode would rebuild the tables on SQLite.
    op.add_column(
        "outbox_message",
        sa.Column(
            "partition_key", sa.String(length=80), server_default=sa.text("''"), nullable=False
        ),
    )
    op.create_index(
        "ix_outbox_message_partition",
        "outbox_message",
        ["partition_key", "status", "id"],
        unique=False,
    )
    op.add_column("tv_point", sa.Column("platform_data", sa.JSON(), nullable=True))
    op.add_column(
        "tv_point", sa.Column("platform_data_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("tv_point") as batch:
        batch.drop_column("platform_data_at")
        batch.drop_column("platform_data")
    op.drop_index("ix_outbox_message_partition", table_name="outbox_message")
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_column("partition_key")
