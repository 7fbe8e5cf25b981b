"""Money types: receivables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from domain import models as m
from gateway.schema.base import FromModel, Node, ReceivableOrigin, ReceivableStatus


@strawberry.type(name="Receivable", description="An amount owed on a due date, open or paid.")
class ReceivableType(FromModel, Node):
    graphql_name = "Receivable"
    model = m.Receivable
    database_id: int
    origin: ReceivableOrigin
    description: str
    installment_number: int | None
    amount: Decimal
    due_date: dt.date
    status: ReceivableStatus
    billed_at: dt.datetime | None
    paid_at: dt.datetime | None
    paid_amount: Decimal | None
