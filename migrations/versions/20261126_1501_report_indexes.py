"""Indexes for the report connections' filters and keyset orderings (ADR 0150).

Revision ID: 1501
Revises: 0902
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "1501"
down_revision: str | Sequence[str] | None = "0902"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_receivable_due_date_id", "receivable", ["due_date", "id"]),
    ("ix_receivable_paid_at", "receivable", ["paid_at"]),
    ("ix_billing_event_status", "billing_event", ["status"]),
    ("ix_billing_event_due_date", "billing_event", ["due_date"]),
    ("ix_invoice_issued_on", "invoice", ["issued_on"]),
    ("ix_plan_inactive_reason", "plan", ["inactive_reason"]),
    ("ix_plan_payment_method", "plan", ["payment_method"]),
    ("ix_plan_due_day", "plan", ["due_day"]),
    ("ix_plan_created_at", "plan", ["created_at"]),
    ("ix_service_kind", "service", ["kind"]),
    ("ix_service_status", "service", ["status"]),
    ("ix_tv_package_subscription_sync_state", "tv_package_subscription", ["sync_state"]),
    ("ix_tv_point_status", "tv_point", ["status"]),
    ("ix_tv_point_sync_state", "tv_point", ["sync_state"]),
    ("ix_ticket_type", "ticket", ["type"]),
    ("ix_ticket_status", "ticket", ["status"]),
    ("ix_ticket_opened_at", "ticket", ["opened_at"]),
    ("ix_radacct_nasipaddress", "radacct", ["nasipaddress"]),
    ("ix_radacct_acctstarttime", "radacct", ["acctstarttime"]),
    ("ix_call_record_started_at", "call_record", ["started_at"]),
    ("ix_call_record_termination", "call_record", ["termination"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
