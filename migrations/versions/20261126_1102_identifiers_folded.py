"""Identifiers people type are unique whatever their case, and stored in one spelling; a
deleted antivirus licence reads DELETED (ADR 0113).

Every RADIUS login, mailbox and alias address, hosted domain, SIP username and panel username
is stored lower-case, every circuit identifier, ONU serial and CASN upper-case (circuits with
single spaces, CASNs without any); rows written before are rewritten so. Then a unique index
on the folded value makes the database refuse a second spelling, on PostgreSQL and SQLite
alike. If two existing rows differ only by case, nothing is changed: the upgrade stops naming
them, for a person to decide which is which (renaming someone's login silently would lock
them out).

Licences whose service was cancelled read DELETED instead of their last status.

Revision ID: 1102
Revises: 1101
Create Date: 2026-11-26
"""

from collections import defaultdict
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "1102"
down_revision: str | Sequence[str] | None = "1101"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _lower(value: str) -> str:
    return value.strip().lower()


def _upper(value: str) -> str:
    return value.strip().upper()


def _circuit(value: str) -> str:
    return " ".join(value.split()).upper()


def _casn(value: str) -> str:
    return "".join(value.split()).upper()


# (table, columns, how the actions store them, the SQL function of the index)
FOLDED: tuple[tuple[str, tuple[str, ...], Callable[[str], str], str], ...] = (
    ("service_email", ("login", "domain"), _lower, "lower"),
    ("service_email_alias", ("login", "domain"), _lower, "lower"),
    ("service_radius_login", ("login",), _lower, "lower"),
    ("service_voice_terminal", ("sip_username",), _lower, "lower"),
    ("service_onu", ("serial",), _upper, "upper"),
    ("service_domain", ("name",), _lower, "lower"),
    ("service_circuit", ("identifier",), _circuit, "upper"),
    ("equipment", ("casn",), _casn, "upper"),
    ("voice_subscriber", ("panel_username",), _lower, "lower"),
)


def _index_name(table: str, columns: Sequence[str]) -> str:
    return f"uq_{table}_{'_'.join(columns)}_folded"


def _normalise(table: str, columns: Sequence[str], fold: Callable[[str], str]) -> list[str]:
    """Rewrites the rows of `table` to their folded spelling; the clashes found instead."""
    connection = op.get_bind()
    listed = ", ".join(columns)
    rows = connection.execute(sa.text(f"SELECT id, {listed} FROM {table} ORDER BY id")).all()
    owners: dict[tuple[str | None, ...], list[int]] = defaultdict(list)
    changes = []
    for row in rows:
        values = tuple(row[1:])
        folded = tuple(None if v is None else fold(v) for v in values)
        if None not in folded:
            owners[folded].append(row[0])
        if folded != values:
            changes.append({"id": row[0], **dict(zip(columns, folded, strict=True))})
    clashes = [
        f"{table} rows {ids} are all {'/'.join(str(v) for v in key)}"
        for key, ids in owners.items()
        if len(ids) > 1
    ]
    if not clashes and changes:
        assignments = ", ".join(f"{c} = :{c}" for c in columns)
        connection.execute(sa.text(f"UPDATE {table} SET {assignments} WHERE id = :id"), changes)
    return clashes


def upgrade() -> None:
    clashes = []
    for table, columns, fold, _function in FOLDED:
        clashes += _normalise(table, columns, fold)
    if clashes:
        raise RuntimeError(
            "identifiers that differ only by case (rename one of each, then upgrade again): "
            + "; ".join(clashes[:20])
        )
    for table, columns, _fold, function in FOLDED:
        op.create_index(
            _index_name(table, columns),
            table,
            [sa.text(f"{function}({column})") for column in columns],
            unique=True,
        )

    with op.batch_alter_table("service_antivirus") as batch:
        batch.drop_constraint(op.f("ck_service_antivirus_antivirus_status"), type_="check")
        batch.create_check_constraint(
            "antivirus_status", "license_status IN ('ACTIVE', 'SUSPENDED', 'DELETED')"
        )
    op.execute(
        "UPDATE service_antivirus SET license_status = 'DELETED' WHERE id IN "
        "(SELECT id FROM service WHERE status = 'CANCELLED')"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE service_antivirus SET license_status = 'SUSPENDED' WHERE license_status = 'DELETED'"
    )
    with op.batch_alter_table("service_antivirus") as batch:
        batch.drop_constraint(op.f("ck_service_antivirus_antivirus_status"), type_="check")
        batch.create_check_constraint(
            "antivirus_status", "license_status IN ('ACTIVE', 'SUSPENDED')"
        )
    for table, columns, _fold, _function in FOLDED:
        op.drop_index(_index_name(table, columns), table_name=table)
