"""Voice (manual 004): call records carry the six terminations of the minute franchises, and
voice lines have extensions (ramais).

INTERNATIONAL splits into INTERNATIONAL_FIXED and INTERNATIONAL_MOBILE (ADR 0110); the records
stored so far did not say which, so they become INTERNATIONAL_FIXED, as the franchise balance
already counted them. Extensions are a table of their own (ADR 0116).

Revision ID: 1101
Revises: 0902
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1101"
down_revision: str | Sequence[str] | None = "0902"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOTH = ("FIXED_LOCAL", "FIXED_LONG_DISTANCE", "MOBILE_LOCAL", "MOBILE_LONG_DISTANCE")
OLD = (*BOTH, "INTERNATIONAL")
NEW = (*BOTH, "INTERNATIONAL_FIXED", "INTERNATIONAL_MOBILE")


def _check(names: Sequence[str]) -> str:
    return "termination IN (" + ", ".join(f"'{n}'" for n in names) + ")"


def _terminations(before: Sequence[str], after: Sequence[str], moves: dict[str, str]) -> None:
    length = max(len(n) for n in after)
    with op.batch_alter_table("call_record") as batch:
        batch.drop_constraint(op.f("ck_call_record_call_termination"), type_="check")
        batch.alter_column(
            "termination",
            existing_type=sa.String(length=max(len(n) for n in before)),
            type_=sa.String(length=length),
        )
    for old, new in moves.items():
        op.execute(
            sa.text(
                "UPDATE call_record SET termination = :new WHERE termination = :old"
            ).bindparams(old=old, new=new)
        )
    with op.batch_alter_table("call_record") as batch:
        batch.create_check_constraint("call_termination", _check(after))


def upgrade() -> None:
    _terminations(OLD, NEW, {"INTERNATIONAL": "INTERNATIONAL_FIXED"})
    op.create_table(
        "voice_extension",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("extension", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["voice_line.id"],
            name=op.f("fk_voice_extension_line_id_voice_line"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["voice_subscriber.id"],
            name=op.f("fk_voice_extension_subscriber_id_voice_subscriber"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_extension")),
        sa.UniqueConstraint(
            "subscriber_id", "extension", name=op.f("uq_voice_extension_subscriber_id_extension")
        ),
    )
    op.create_index(
        op.f("ix_voice_extension_line_id"), "voice_extension", ["line_id"], unique=False
    )
    op.create_index(
        op.f("ix_voice_extension_subscriber_id"), "voice_extension", ["subscriber_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_voice_extension_subscriber_id"), table_name="voice_extension")
    op.drop_index(op.f("ix_voice_extension_line_id"), table_name="voice_extension")
    op.drop_table("voice_extension")
    _terminations(
        NEW, OLD, {"INTERNATIONAL_FIXED": "INTERNATIONAL", "INTERNATIONAL_MOBILE": "INTERNATIONAL"}
    )
